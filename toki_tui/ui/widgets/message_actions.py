"""What can be done to one message from the keyboard or with a click: walk to its siblings (`‹ 2/3 ›`),
regenerate the reply, edit the question, continue a reply that was cut short.

A message takes the focus when clicked, or with Shift+Tab from the prompt (then Up/Down move between messages).
Its keys and clickable parts only post what the user asked for; the screen reads and writes the history and
decides (widgets do no I/O). Typed characters and Enter still reach the prompt (ConversationView.TypedHere), so
the keys here are arrows and Ctrl combinations only.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from toki_tui.core.continuation import CONTINUABLE_STATUSES
from toki_tui.core.text import displayable
from toki_tui.ui.display import DisplayMessage


class MessageActions(Widget, can_focus=True):
    """The keys of a focused message (MessageView is one) and the messages they post to the screen."""

    DEFAULT_CSS = """
    MessageActions:focus { background: $accent 15%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "previous_sibling", "Previous branch", show=False, id="message.previous_sibling"),
        Binding("right", "next_sibling", "Next branch", show=False, id="message.next_sibling"),
        Binding("up", "neighbour(-1)", "Previous message", show=False, id="message.previous"),
        Binding("down", "neighbour(1)", "Next message", show=False, id="message.next"),
        Binding("ctrl+r", "regenerate", "Regenerate", show=False, id="message.regenerate"),
        Binding("ctrl+e", "edit", "Edit", show=False, id="message.edit"),
        Binding("ctrl+k", "continue_reply", "Continue", show=False, id="message.continue"),
    ]

    class SiblingWanted(Message):
        """Show the sibling `step` places from this message (-1: the previous one), and the branch under it."""

        def __init__(self, message_id: int, step: int) -> None:
            super().__init__()
            self.message_id = message_id
            self.step = step

    class RegenerateWanted(Message):
        """A new reply in place of this one (a reply), or to this question (a user message)."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    class EditWanted(Message):
        """Open this question in the prompt, to ask it again differently."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    class ContinueWanted(Message):
        """Have the model go on with this reply, which was cut short."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    @property
    def message(self) -> DisplayMessage:
        raise NotImplementedError  # MessageView's

    def _stored_id(self) -> int | None:
        """The message's id once it is saved and finished (a streaming reply has no actions yet)."""
        message = self.message
        return message.id if message.status != "streaming" else None

    def action_previous_sibling(self) -> None:
        self._walk(-1)

    def action_next_sibling(self) -> None:
        self._walk(+1)

    def _walk(self, step: int) -> None:
        message_id, position = self._stored_id(), self.message.siblings
        if message_id is not None and position is not None and 1 <= position[0] + step <= position[1]:
            self.post_message(self.SiblingWanted(message_id, step))

    def action_neighbour(self, step: int) -> None:
        if step < 0:
            self.screen.focus_previous()
        else:
            self.screen.focus_next()

    def action_regenerate(self) -> None:
        message_id = self._stored_id()
        if message_id is not None and self.message.role in ("assistant", "user"):
            self.post_message(self.RegenerateWanted(message_id))

    def action_edit(self) -> None:
        message_id = self._stored_id()
        if message_id is not None and self.message.role == "user":
            self.post_message(self.EditWanted(message_id))

    def action_continue_reply(self) -> None:
        message_id = self._stored_id()
        if message_id is not None and can_continue(self.message):
            self.post_message(self.ContinueWanted(message_id))


def can_continue(message: DisplayMessage) -> bool:
    return message.role == "assistant" and message.status in CONTINUABLE_STATUSES


def sibling_marker(position: tuple[int, int], style: Style, arrow_style: Style) -> Text:
    """`  ‹ 2/3 ›` for a header: each arrow (with the space beside it, a target easier to hit) is clickable."""
    index, count = position
    previous = arrow_style + Style.from_meta({"@click": "previous_sibling"})
    following = arrow_style + Style.from_meta({"@click": "next_sibling"})
    return Text.assemble(("  ", style), ("‹ ", previous), (f"{index}/{count}", style), (" ›", following))


def continue_action(message: DisplayMessage, style: Style) -> Text | None:
    """A clickable "continue" after the badge of a reply that was cut short."""
    if not can_continue(message) or message.id is None:
        return None
    return Text.assemble("   ", ("⏵ continue", style + Style.from_meta({"@click": "continue_reply"})))


def reply_note(message: DisplayMessage, style: Style) -> Text | None:
    """The note of a reply that ended well but not as asked (a server that restarted instead of continuing)."""
    if message.status != "complete" or not message.error:
        return None
    return Text(f"ⓘ {displayable(message.error)}", style=style)
