"""The saved conversations, newest first, with a search box. The screen supplies the rows and runs the searches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from toki_tui.core.text import displayable_line
from toki_tui.ui.widgets.after_first_frame import ChildrenAfterFirstFrame


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row: what the list shows of a conversation."""

    conversation_id: str
    title: str
    detail: str
    """A dim second line: when, which model, how many messages, or the matching snippet of a search."""
    message_id: int | None = None
    """For a search hit in a message: that message, which opening the entry shows."""
    matched: tuple[str, ...] = ()
    """For a search hit: the words it matched, highlighted in the message."""


DEFAULT_DETAIL_WIDTH = 24


class HistoryList(ChildrenAfterFirstFrame, Vertical):
    """Posts `SearchChanged` while the user types and `ConversationChosen` when one is picked."""

    DEFAULT_CSS = """
    HistoryList { width: 32; }
    HistoryList > #history-search { margin: 0 0 1 0; }
    HistoryList > OptionList { height: 1fr; }
    HistoryList > #history-empty { color: $text-muted; padding: 0 1; }
    """

    class SearchChanged(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class ConversationChosen(Message):
        def __init__(self, conversation_id: str, hit: HistoryEntry | None = None) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.hit = hit
            """The search hit chosen, when it is one in a message."""

    def compose(self) -> ComposeResult:
        yield Static("History", classes="sidebar-title")  # the search box and the list come after the first frame

    def children_after_first_frame(self) -> ComposeResult:
        yield Input(placeholder="Search history…", id="history-search")
        yield OptionList(id="history-options")
        yield Static("", id="history-empty")

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._entries: list[HistoryEntry] = []
        self._fitted_width = 0
        self._pending_current: str | None = None
        self._pending_fill = False
        self._pending_focus: str | None = None  # "search" or "list", asked for before the widgets were there

    def after_children_mounted(self) -> None:
        if self._pending_fill:
            self._fill(self._pending_current)
        if self._pending_focus == "search":
            self.focus_search()
        elif self._pending_focus == "list":
            self.focus_list()
        self._pending_focus = None

    def show_entries(self, entries: Sequence[HistoryEntry], *, current_id: str | None = None) -> None:
        self._entries = list(entries)
        if not self.built:
            self._pending_fill, self._pending_current = True, current_id
            return
        self._fill(current_id)

    def _detail_width(self) -> int:
        """Cells for the dim second line: the list's width, less a scrollbar that may yet appear."""
        options = self.query_one("#history-options", OptionList)
        width = options.scrollable_content_region.width
        if width <= 0:
            return DEFAULT_DETAIL_WIDTH  # not laid out yet (hidden): fitted again when it shows
        if not options.show_vertical_scrollbar:
            width -= options.styles.scrollbar_size_vertical
        return max(8, width)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.built and self._entries and self._detail_width() != self._fitted_width:
            self._fill(None)

    def _fill(self, current_id: str | None) -> None:
        entries = self._entries
        options = self.query_one("#history-options", OptionList)
        # With nothing to list, the empty list's box goes and the note takes its place, under the search box (it
        # was at the foot of the sidebar, below an empty box as tall as the screen). A list shown again is fitted
        # to its width once laid out.
        if entries and not options.display:
            self.call_after_refresh(self._refit)
        options.display = bool(entries)
        self.query_one("#history-empty", Static).display = not entries
        highlighted = options.highlighted
        width = self._fitted_width = self._detail_width()
        options.clear_options()
        # The detail is cut to one line (it would wrap a word or two onto a third line of its own); it puts
        # what matters first, so the cut falls on the model name. A title gets about two lines: a renamed or
        # imported one can be any length.
        options.add_options(
            Option(
                Content.assemble(
                    (displayable_line(entry.title, max(2 * width - 4, 16)) or "Untitled", "bold"),
                    "\n",
                    Content.styled(displayable_line(entry.detail), "dim").truncate(width, ellipsis=True),
                ),
                id=entry.conversation_id,
            )
            for entry in entries
        )
        query = self.query_one("#history-search", Input).value
        empty = self.query_one("#history-empty", Static)
        if entries:
            empty.update("")
        else:
            empty.update("No match." if query else "No saved conversations yet.")
        if current_id is not None:
            for index, entry in enumerate(entries):
                if entry.conversation_id == current_id:
                    options.highlighted = index
                    return
        if entries:
            options.highlighted = 0 if highlighted is None else min(highlighted, len(entries) - 1)

    @property
    def option_count(self) -> int:
        return self.query_one("#history-options", OptionList).option_count if self.built else 0

    def forget_focus_request(self) -> None:
        """The list is being hidden: a focus asked for before its widgets were mounted no longer applies."""
        self._pending_focus = None

    def focus_list(self) -> None:
        if not self.built:
            self._pending_focus = "list"
            return
        self.query_one("#history-options", OptionList).focus()

    def focus_search(self) -> None:
        """Focus the search box, where typing starts a search (opening the list with Ctrl+B lands here)."""
        if not self.built:
            self._pending_focus = "search"
            return
        self.query_one("#history-search", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """Down in the search box moves to the list; letters typed in the list go to the search box."""
        if not self.built:
            return
        search = self.query_one("#history-search", Input)
        if event.key == "down" and search.has_focus:
            event.stop()
            self.focus_list()
        elif event.is_printable and event.character and not search.has_focus:
            event.stop()
            event.prevent_default()
            self.screen.set_focus(search)
            search.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#history-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SearchChanged(event.value))

    @on(Input.Submitted, "#history-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_list()

    @on(OptionList.OptionSelected, "#history-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            entry = next((e for e in self._entries if e.conversation_id == event.option.id), None)
            hit = entry if entry is not None and entry.message_id is not None else None
            self.post_message(self.ConversationChosen(event.option.id, hit))
