"""The files waiting to go with the next message, as chips above the prompt: name, kind and size, and a × to
remove one. Shows what it is given and posts what the user clicked; reading files is the screen's job."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from toki_tui.ui.safe_text import safe_text


class AttachmentChips(Static):
    """Hidden while nothing is attached."""

    DEFAULT_CSS = """
    AttachmentChips { display: none; height: auto; padding: 0 1; background: $panel; color: $text-muted; }
    AttachmentChips.-visible { display: block; }
    """

    class Removed(Message):
        """The × of the chip at `index` was clicked."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.labels: tuple[str, ...] = ()

    def show(self, labels: tuple[str, ...]) -> None:
        """One chip per label ("name · kind · size"); outside text, never parsed as markup."""
        self.labels = labels
        chips = Text()
        for index, label in enumerate(labels):
            if index:
                chips.append("  ")
            chips.append_text(safe_text(f"📎 {label} "))
            chips.append(" × ", style=Style(bold=True, reverse=True) + Style.from_meta({"@click": f"remove({index})"}))
        self.update(chips)
        self.set_class(bool(labels), "-visible")

    def action_remove(self, index: int) -> None:
        self.post_message(self.Removed(index))
