"""The conversation pane: a scrolling window of message widgets, and the one live reply.

Only a window of recent messages is mounted (docs/architecture.md: opening 5,000 messages costs what 50 do). Older ones
are mounted as the user scrolls up, first from messages already given, then by asking the screen for more
(`OlderMessagesWanted` -> `prepend_older`); when the window grows past a limit, widgets far from the viewport are
removed, and mounted again if the user scrolls back. The view follows the bottom while a reply streams (Textual's
anchor) until the user scrolls up, and follows again once they scroll back to the bottom. Which messages have a widget
is kept by ConversationWindow (conversation_window.py); this widget mounts and removes them. Widgets do no I/O: data
comes in through the methods below and requests go up as messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget

from toki_tui.ui import textual_internals
from toki_tui.ui.widgets.conversation_window import ConversationWindow, Slot
from toki_tui.ui.widgets.scroll_keys import SCROLL_KEYS

if TYPE_CHECKING:
    from toki_tui.ui.display import DisplayMessage

    # Imported where a message is first shown: an empty new conversation draws its first frame without the
    # Markdown renderer behind these (cold start).
    from toki_tui.ui.widgets.live_reply import LiveReply
    from toki_tui.ui.widgets.message_view import MessageView


class ConversationView(VerticalScroll, can_focus=True):
    """All messages of one conversation, newest at the bottom."""

    DEFAULT_CSS = """
    ConversationView { height: 1fr; padding: 0 1; }
    """

    # The prompt's scroll keys, under the same ids: they work the same with the focus in the pane or on a message
    # (Textual's own PgUp would not load older messages), and a `[keymap]` remapping moves both.
    BINDINGS: ClassVar[list[BindingType]] = SCROLL_KEYS

    INITIAL_WINDOW: ClassVar[int] = 40
    """Messages mounted by show_messages."""
    LOAD_CHUNK: ClassVar[int] = 25
    """Messages mounted each time the user scrolls near an edge of the window."""
    MAX_MOUNTED: ClassVar[int] = 100
    """Past this many mounted messages, the ones furthest from the viewport are removed."""
    EDGE_LINES: ClassVar[int] = 10
    """How close (in lines) to the top or bottom of the window scrolling must come to load more."""
    FOLLOW_SCREENS: ClassVar[int] = 5
    """While the view follows the bottom, a new reply unmounts messages more than this many screens above it."""
    FOLLOW_MIN_MESSAGES: ClassVar[int] = 6
    """...but always keeps at least this many of the newest mounted."""

    class OlderMessagesWanted(Message):
        """The user scrolled near the top and older messages exist that the view has not been given."""

        def __init__(self, before_message_id: int) -> None:
            super().__init__()
            self.before_message_id = before_message_id

    class TypedHere(Message):
        """Typing reached the pane (focused by a click on a message): the screen hands it to the prompt.
        `text` is what to insert; `submit` is an Enter."""

        def __init__(self, text: str, *, submit: bool = False) -> None:
            super().__init__()
            self.text = text
            self.submit = submit

    class RetryRequested(Message):
        """The user asked to retry the reply that failed (its id, or None if it was never saved)."""

        def __init__(self, message_id: int | None) -> None:
            super().__init__()
            self.message_id = message_id

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._window = ConversationWindow()
        self._has_older = False
        self._older_requested = False
        self._adjusting = False  # a window change is waiting for layout; don't start another
        self._live: LiveReply | None = None
        self._chosen: Slot | None = None  # the message last clicked: what the reply keys act on

    # -- public API -------------------------------------------------------------------------------------------

    @property
    def messages(self) -> list[DisplayMessage]:
        """Every message the view knows, oldest first (a live reply as of its last flush)."""
        return self._window.messages

    @property
    def mounted_message_count(self) -> int:
        return self._window.mounted_count

    @property
    def live_reply(self) -> LiveReply | None:
        """The reply that is streaming, if any."""
        return self._live if self._live is not None and not self._live.is_finished else None

    def on_mount(self) -> None:
        self.anchor()

    def on_resize(self) -> None:
        # A taller pane may no longer be filled by what is mounted: with nothing to scroll, older ones could not load.
        self.call_after_refresh(self._fill_viewport)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual stores a container's new virtual size through a reactive that asks for another layout of the whole
        # screen and a repaint, right after the layout that measured it: a second full layout per streaming flush.
        # The layout calling this has placed the children (and the anchor has scrolled) for this size already;
        # scrollbars are updated either way, and a change of the view's own size still repaints it.
        return textual_internals.size_updated_without_layout(super(), size, virtual_size, container_size)

    def show_messages(self, messages: Sequence[DisplayMessage], *, has_older: bool) -> None:
        """Replace everything with `messages` and show the latest; one mount_all inside one batch update."""
        views = self._window.replace(messages, mounted=self.INITIAL_WINDOW)
        self._has_older = has_older
        self._older_requested = False
        self._live = None
        with self.app.batch_update():
            self.remove_children()
            if views:
                self.mount_all(views)
        self.scroll_end(animate=False, immediate=False)
        self.call_after_refresh(self._fill_viewport)

    def prepend_older(self, messages: Sequence[DisplayMessage], *, has_older: bool) -> None:
        """Add messages older than all known ones, keeping what the user looks at where it is."""
        self._older_requested = False
        self._has_older = has_older
        if not messages:
            return
        self._window.prepend(messages)
        self._mount_above(self.LOAD_CHUNK)

    def append_message(self, message: DisplayMessage) -> None:
        """Add a message at the end (mounted only if the end of the conversation is mounted)."""
        view = self._window.append(message)
        if view is not None:
            self.mount(view)
            self._trim_top()

    def start_reply(self, *, model: str | None) -> LiveReply:
        """Mount the live reply widget at the end (jumping to the latest messages) and follow it."""
        if self._live is not None and not self._live.is_finished:
            self._live.finish(status="interrupted")
        if not self._window.bottom_mounted:
            self._show_latest()
        self._release_offscreen_views()
        from toki_tui.ui.widgets.live_reply import LiveReply

        live = LiveReply(model=model)
        self._window.append(live.message, live)  # the end is mounted (just above)
        self._live = live
        self.mount(live)
        self._trim_top()
        self._trim_while_following()
        self.scroll_end(animate=False, immediate=False)
        return live

    def keep_first(self, count: int) -> None:
        """Show only the first `count` messages known: a reply about to be regenerated or continued, or a question
        about to be edited, and what was under it, make way for what replaces them."""
        self.show_messages(self._window.messages[:count], has_older=self._has_older)

    def mark_saved(self, message: DisplayMessage, message_id: int) -> None:
        """`message`, shown before it was stored, is stored as `message_id` (so the keys on it act on it)."""
        self._window.mark_saved(message, message_id)

    def clear(self) -> None:
        """Remove every message (a new conversation)."""
        self.show_messages([], has_older=False)

    def action_scroll_transcript(self, where: str) -> None:
        """Scroll from the keyboard, wherever the focus is: `where` is "page_up", "page_down", "oldest" (the top of
        what is loaded) or "latest". Going up from the top loads older messages, as the mouse wheel does (each
        "oldest" reaches further back); "latest" shows the newest and follows the bottom again."""
        if where == "page_down":
            self.scroll_page_down(animate=False)
        elif where == "latest":
            if not self._window.bottom_mounted:
                self._show_latest()
            self.scroll_end(animate=False, immediate=False)
        else:
            self.release_anchor()
            if self.scroll_y <= 0:
                self._near_top()
            elif where == "oldest":
                self.scroll_home(animate=False)
            else:
                self.scroll_page_up(animate=False)

    @property
    def chosen_message(self) -> DisplayMessage | None:
        """The focused message, or the message last clicked while the focus is in the pane (reply keys act on it,
        else on the last reply)."""
        focused = self.screen.focused
        for view in self._window.mounted_views():
            if view is focused:
                return view.message
        slots = self._window.slots
        if self._chosen is None or not self.has_focus_within or not any(slot is self._chosen for slot in slots):
            return None
        return self._chosen.message

    def on_click(self, event: events.Click) -> None:
        self._chosen = next((slot for slot in self._window.slots if slot.view is event.widget), None)

    def reveal(self, message_id: int) -> MessageView | None:
        """Mount the window around the message `message_id` (one of those given) and scroll it to the top of the
        pane; None if the view was not given it."""
        window = self._window
        index = window.index_of(message_id)
        if index is None:
            return None
        if window.view_at(index) is None:
            views = window.recentre(index, before=self.LOAD_CHUNK, after=self.INITIAL_WINDOW)
            with self.app.batch_update():
                self.remove_children()
                self.mount_all(views)
        view = window.view_at(index)
        if view is not None:
            self.call_after_refresh(self._scroll_to_top_of, view)
        return view

    def _scroll_to_top_of(self, view: MessageView) -> None:
        # A conversation shorter than the pane stays anchored (at the bottom, all in view): released, its
        # negative scroll offset would be kept as it is and could leave messages below the pane.
        if view.is_mounted and self.max_scroll_y > 0:
            self.release_anchor()
            self.scroll_to(y=min(view.virtual_region.y, self.max_scroll_y), animate=False, immediate=True)

    # -- typing ---------------------------------------------------------------------------------------------
    # The pane takes the focus when a message is clicked (a fold, a retry); what is typed then belongs in the
    # prompt, so it is passed on instead of being lost (or read as a command: the pane has no letter keys).

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" or (event.is_printable and event.character):
            event.stop()
            event.prevent_default()
            submit = event.key == "enter"
            self.post_message(self.TypedHere("" if submit else event.character or "", submit=submit))

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if event.text:
            self.post_message(self.TypedHere(event.text))

    # -- actions ----------------------------------------------------------------------------------------------

    def action_toggle_reasoning(self) -> None:
        """Fold or unfold the reasoning of the newest message that has some."""
        for view in reversed(list(self._window.mounted_views())):
            if view.has_reasoning:
                view.toggle_reasoning()
                return

    def action_retry(self) -> None:
        """Retry the newest failed reply."""
        for view in reversed(list(self._window.mounted_views())):
            if view.message.status == "error":
                self.post_message(self.RetryRequested(view.message.id))
                return

    def on_message_view_retry_clicked(self, event: MessageView.RetryClicked) -> None:
        event.stop()
        self.post_message(self.RetryRequested(event.message_id))

    # -- the window -------------------------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._adjusting or not self.is_mounted:
            return
        following = textual_internals.is_following_anchor(self)
        if new_value <= self.EDGE_LINES and not following:
            self._near_top()
        elif new_value >= self.max_scroll_y - self.EDGE_LINES and not self._window.bottom_mounted:
            self._mount_below(self.LOAD_CHUNK)

    def _fill_viewport(self) -> None:
        """A short window that does not fill the pane cannot be scrolled up: load older ones right away."""
        if self.max_scroll_y == 0 and not self._adjusting:
            self._near_top()

    def _near_top(self) -> None:
        if self._window.lo > 0:
            self._mount_above(self.LOAD_CHUNK)
        elif self._has_older and not self._older_requested and self._window.slots:
            oldest_id = self._window.slots[0].message.id
            if oldest_id is not None:
                self._older_requested = True
                self.post_message(self.OlderMessagesWanted(oldest_id))

    def _release_offscreen_views(self) -> None:
        """Free what Textual keeps of painted lines for mounted messages well out of view (see
        MessageView.release_painted_lines); those within a screen of the viewport keep theirs for smooth scrolling."""
        height = self.scrollable_content_region.height
        top, bottom = self.scroll_offset.y - height, self.scroll_offset.y + 2 * height
        for view in self._window.mounted_views():
            region = view.virtual_region
            if region.bottom <= top or region.y >= bottom:
                view.release_painted_lines()

    def focus_newest_message(self) -> bool:
        """Give the focus to the newest message shown; False when there is none."""
        views = self._window.mounted_views()
        if not views:
            return False
        views[-1].focus()
        return True

    def _mount_above(self, count: int) -> None:
        views, first = self._window.grow_above(count)
        if not views:
            return
        self._keep_in_place(first, lambda: self.mount_all(views, before=first) if first else self.mount_all(views))
        self._trim_bottom()

    def _mount_below(self, count: int) -> None:
        self.mount_all(self._window.grow_below(count))
        self._trim_top()

    def _trim_bottom(self) -> None:
        """Remove the newest mounted messages beyond MAX_MOUNTED (the user is reading far above them)."""
        excess = self.mounted_message_count - self.MAX_MOUNTED
        if excess <= 0:
            return
        removed: list[Widget] = list(self._window.drop_newest(excess, keep=self.live_reply))  # never the streaming one
        if removed:
            self.remove_children(removed)

    def _trim_while_following(self) -> None:
        """While following the bottom, keep mounted only the newest messages that fill a few screens.

        Every mounted message costs at each layout (a streaming reply lays out at every flush) and each mount
        re-styles its siblings: with the window at MAX_MOUNTED long replies, a turn took a third longer than with
        a handful. Nobody is looking further up while the view follows; scrolling up mounts them again, in
        chunks, keeping the view in place."""
        window = self._window
        if not textual_internals.is_following_anchor(self) or window.mounted_count <= 0:
            return
        budget = max(self.scrollable_content_region.height, 10) * self.FOLLOW_SCREENS
        keep_from, lines = window.hi, 0
        while keep_from > window.lo and (lines < budget or window.hi - keep_from < self.FOLLOW_MIN_MESSAGES):
            keep_from -= 1
            view = window.view_at(keep_from)
            lines += view.outer_size.height if view is not None else 0  # not laid out yet: 0, so kept
        self._unmount_oldest(keep_from - window.lo)

    def _trim_top(self) -> None:
        """Remove the oldest mounted messages beyond MAX_MOUNTED, keeping the visible ones in place."""
        self._unmount_oldest(self.mounted_message_count - self.MAX_MOUNTED)

    def _unmount_oldest(self, count: int) -> None:
        """Remove the `count` oldest mounted messages (still known, mounted again on scroll-up), keeping the
        visible ones in place."""
        if count <= 0:
            return
        removed = self._window.drop_oldest(count)
        keep = self._window.view_at(self._window.lo)
        self._keep_in_place(keep, lambda: self.remove_children(removed))

    def _keep_in_place(self, reference: MessageView | None, change: Callable[[], object]) -> None:
        """Run `change` (a mount or removal above the viewport), then scroll by however far `reference` moved,
        so the user keeps looking at the same lines. Not needed while following the bottom."""
        following = textual_internals.is_following_anchor(self)
        if reference is None or following or not reference.is_mounted:
            change()
            return
        y_before = reference.virtual_region.y
        self._adjusting = True
        change()

        def restore() -> None:
            self._adjusting = False
            if reference.is_mounted:
                shift = reference.virtual_region.y - y_before
                if shift:
                    self.scroll_to(y=self.scroll_y + shift, animate=False, immediate=True, release_anchor=False)

        self.call_after_refresh(restore)

    def _show_latest(self) -> None:
        messages = self._window.messages
        has_older, live = self._has_older, self._live
        self.show_messages(messages, has_older=has_older)
        self._live = live if live is not None and live.is_finished else None
