"""Keys and slash commands on one screen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from toki_tui.ui.slash_commands import help_lines

KEY_HELP: tuple[tuple[str, str], ...] = (
    ("Enter", "send the prompt"),
    ("Ctrl+J / Alt+Enter", "new line in the prompt"),
    ("Tab", "complete a /command name; otherwise move focus"),
    ("Up (empty prompt)", "recall earlier prompts"),
    ("Esc", "stop the reply (the partial text is kept, marked stopped)"),
    ("Ctrl+R", "retry the last reply"),
    ("Ctrl+O", "pick a model"),
    ("Ctrl+B", "show or hide the history list"),
    ("F2 / Ctrl+G", "show or hide the parameter sidebar"),
    ("Ctrl+P", "command palette (themes, keys, quit)"),
    ("Ctrl+N", "new conversation"),
    ("Ctrl+T", "change the theme (the choice is saved)"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
)


def help_content() -> Content:
    lines: list[Content] = [Content.styled("Keys", "bold $primary")]
    lines += [Content.assemble((f"  {key:<20}", "bold"), text) for key, text in KEY_HELP]
    lines += [Content(""), Content.styled("Commands (type in the prompt)", "bold $primary")]
    lines += [Content.assemble((f"  {usage:<24}", "bold"), text) for usage, text in help_lines()]
    lines += [Content(""), Content.styled("Start a message with // to send a literal leading slash.", "dim")]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(help_content(), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
