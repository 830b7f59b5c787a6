"""How one reply was made: model, endpoint, every parameter sent, usage, timing, finish reason, status, error.

Every value comes from the store row, written from what a server sent (a model id, an error message): each is
shown as plain content, never parsed as markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Static

from toki_tui.core.text import displayable, displayable_line
from toki_tui.ui.key_names import shown_key

LABEL_GAP = 2
DEFAULT_WIDTH = 74
"""The pane's width in the dialog (80 columns, less its border and padding) before it is laid out."""
MIN_VALUE_WIDTH = 20
LABEL_MAX_CHARS = 32
"""A longer label (a parameter's name, from the store) is cut, so the values keep a column to wrap in."""


def details_content(rows: list[tuple[str, str]], width: int = DEFAULT_WIDTH) -> Content:
    """Two columns for a pane `width` cells wide: labels in bold, values as plain text wrapped under the value,
    not back at the edge under the labels (an error message or a cost's reason is often longer than a line)."""
    # Labels are outside text too: a parameter's or a usage count's name is whatever the row holds.
    labels = [displayable_line(label, LABEL_MAX_CHARS) for label, _ in rows]
    label_width = max((len(label) for label in labels), default=0) + LABEL_GAP
    value_width = max(width - label_width, MIN_VALUE_WIDTH)
    lines: list[Content] = []
    for label, (_, value) in zip(labels, rows, strict=True):
        first, *rest = Content(displayable(value)).wrap(value_width) or [Content("")]
        lines.append(Content.styled(f"{label:<{label_width}}", "bold") + first)
        lines += [Content(" " * label_width) + part for part in rest]
    return Content("\n").join(lines)


class DetailsText(Static):
    """The rows, laid out again for each width (the columns are made here, not by the terminal's wrapping)."""

    def __init__(self, rows: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(details_content(rows), **kwargs)
        self._rows = rows

    def on_resize(self, event: Resize) -> None:
        self.update(details_content(self._rows, event.size.width))


class ReplyDetailsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f4,q,enter", "close", "Close", id="details.close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self._rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="reply-details", classes="dialog"):
            yield Static("How this reply was made", classes="dialog-title")
            yield DetailsText(self._rows, id="reply-details-text")
            yield Static(Content.styled(f"{shown_key(self.app, 'details.close', 'Esc')} closes", "dim"))

    def action_close(self) -> None:
        self.dismiss(None)
