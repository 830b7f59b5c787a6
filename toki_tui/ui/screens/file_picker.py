"""A file picker for attachments: a tree of the current folder; Enter on a file picks it, Esc closes.

File names are outside text (a file can be named with escape sequences or markup): every label is made
displayable and kept as plain `Text`.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text, TextType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Static

from toki_tui.core.text import displayable_line
from toki_tui.ui.key_names import shown_key


class SafeDirectoryTree(DirectoryTree):
    """A DirectoryTree whose labels (file and folder names) are shown, never interpreted."""

    def process_label(self, label: TextType) -> Text:
        plain = label.plain if isinstance(label, Text) else str(label)
        return Text(displayable_line(plain))


class FilePickerScreen(ModalScreen[Path | None]):
    """Returns the file chosen, or None when dismissed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="picker_file.close")]

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self._folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(id="file-picker", classes="dialog"):
            closes = shown_key(self.app, "picker_file.close", "Esc")
            yield Static(f"Attach a file (Enter picks it, {closes} closes)", classes="dialog-title")
            yield SafeDirectoryTree(self._folder, id="file-picker-tree")

    def on_mount(self) -> None:
        self.query_one(SafeDirectoryTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)

    def action_close(self) -> None:
        self.dismiss(None)
