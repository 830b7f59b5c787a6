"""How one reply was made: model, endpoint, every parameter sent, usage, timing, finish reason, status, error.

Every value comes from the store row, written from what a server sent (a model id, an error message): each is
shown as plain content, never parsed as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from toki_tui.core.text import displayable, displayable_line

LABEL_GAP = 2
LABEL_MAX_CHARS = 32
"""A longer label (a parameter's name, from the store) is cut, so the values keep a column to wrap in."""


def details_content(rows: list[tuple[str, str]]) -> Content:
    """Two columns: labels in bold, values as plain text (wrapped by the pane)."""
    # Labels are outside text too: a parameter's or a usage count's name is whatever the row holds.
    labels = [displayable_line(label, LABEL_MAX_CHARS) for label, _ in rows]
    width = max((len(label) for label in labels), default=0) + LABEL_GAP
    lines = [
        Content.styled(f"{label:<{width}}", "bold") + Content(displayable(value))
        for label, (_, value) in zip(labels, rows, strict=True)
    ]
    return Content("\n").join(lines)


class ReplyDetailsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f4,q,enter", "close", "Close", id="details.close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self._rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="reply-details", classes="dialog"):
            yield Static("How this reply was made", classes="dialog-title")
            yield Static(details_content(self._rows), id="reply-details-text")
            yield Static(Content.styled("Esc closes", "dim"))

    def action_close(self) -> None:
        self.dismiss(None)
