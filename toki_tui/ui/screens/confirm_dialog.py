"""A yes/no question in a small dialog (replace an existing file?). Returns True only for an explicit yes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Button, Static

ROWS_AROUND_QUESTION = 8
"""The dialog's rows other than the question's (border, padding, the buttons and the space above them): the
question gets what is left of the dialog's 90% of the screen and scrolls beyond, so a long one (a tool command
with the model's arguments) never pushes the buttons off a short screen."""


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "no", "No", id="confirm.no"),
        Binding("y", "yes", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: Content, *, yes: str = "Yes", rows: Sequence[tuple[str, Content]] = ()) -> None:
        """`rows` follow the question, each a label and its value; a long value wraps under itself, not under the
        label (a tool command's numbered arguments)."""
        super().__init__()
        self._question = question
        self._yes = yes
        self._rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            with VerticalScroll(id="confirm-question-scroll"):
                yield Static(self._question, id="confirm-question")
                if self._rows:
                    with Vertical(id="confirm-rows"):
                        for label, value in self._rows:
                            with Horizontal(classes="confirm-row"):
                                yield Static(label, classes="confirm-row-label")
                                yield Static(value, classes="confirm-row-value")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes} (y)", variant="warning", id="confirm-yes")
                yield Button("Cancel (n)", variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # Enter on the dialog keeps the file

    def on_resize(self, event: Resize) -> None:
        room = event.size.height * 9 // 10 - ROWS_AROUND_QUESTION
        self.query_one("#confirm-question-scroll").styles.max_height = max(3, room)

    @on(Button.Pressed, "#confirm-yes")
    def _yes_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
