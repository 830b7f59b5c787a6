"""What can be done to one message from the keyboard or with a click: walk to its siblings (`‹ 2/3 ›`),
regenerate the reply, edit the question, continue a reply that was cut short.

A message (MessageView) takes the focus when clicked, or with Shift+Tab from the prompt (then Up/Down move between
messages). Its keys are `MESSAGE_KEYS`; its actions ask the functions here whether the message allows what was asked
and post the request they return. The screen reads and writes the history and decides (widgets do no I/O). Typed
characters and Enter still reach the prompt (ConversationView.TypedHere), so the keys here are arrows and Ctrl
combinations only.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from toki_tui.core.continuation import CONTINUABLE_STATUSES
from toki_tui.core.text import displayable
from toki_tui.ui.display import DisplayMessage

MESSAGE_KEYS: list[BindingType] = [
    Binding("left", "previous_sibling", "Previous branch", show=False, id="message.previous_sibling"),
    Binding("right", "next_sibling", "Next branch", show=False, id="message.next_sibling"),
    Binding("up", "neighbour(-1)", "Previous message", show=False, id="message.previous"),
    Binding("down", "neighbour(1)", "Next message", show=False, id="message.next"),
    Binding("ctrl+r", "regenerate", "Regenerate", show=False, id="message.regenerate"),
    Binding("ctrl+e", "edit", "Edit", show=False, id="message.edit"),
    Binding("ctrl+k", "continue_reply", "Continue", show=False, id="message.continue"),
    Binding("f3", "toggle_fold", "Fold", show=False, id="message.fold"),
]
"""The keys of a focused message (MessageView.BINDINGS, where ui/key_catalog.py finds them)."""


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


MessageAction = SiblingWanted | RegenerateWanted | EditWanted | ContinueWanted
"""What a message's keys or clickable parts ask the screen for."""


def _stored_id(message: DisplayMessage) -> int | None:
    """The message's id once it is saved and finished (a streaming reply has no actions yet)."""
    return message.id if message.status != "streaming" else None


def sibling_request(message: DisplayMessage, step: int) -> SiblingWanted | None:
    """The request to show the sibling `step` places away, or None when there is none there."""
    message_id, position = _stored_id(message), message.siblings
    if message_id is not None and position is not None and 1 <= position[0] + step <= position[1]:
        return SiblingWanted(message_id, step)
    return None


def regenerate_request(message: DisplayMessage) -> RegenerateWanted | None:
    message_id = _stored_id(message)
    if message_id is not None and message.role in ("assistant", "user"):
        return RegenerateWanted(message_id)
    return None


def edit_request(message: DisplayMessage) -> EditWanted | None:
    message_id = _stored_id(message)
    if message_id is not None and message.role == "user":
        return EditWanted(message_id)
    return None


def continue_request(message: DisplayMessage) -> ContinueWanted | None:
    message_id = _stored_id(message)
    if message_id is not None and can_continue(message):
        return ContinueWanted(message_id)
    return None


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
    return Text("⏵ continue", style=style + Style.from_meta({"@click": "continue_reply"}))


def reply_note(message: DisplayMessage, style: Style) -> Text | None:
    """The note of a reply that ended well but not as asked (a server that restarted instead of continuing)."""
    if message.status != "complete" or not message.error:
        return None
    return Text(f"ⓘ {displayable(message.error)}", style=style)
