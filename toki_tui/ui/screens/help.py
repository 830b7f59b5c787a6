"""Keys and slash commands on one screen, in two aligned columns whose descriptions wrap under themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Static

from toki_tui.ui.key_catalog import key_display, keys_for
from toki_tui.ui.key_names import key_name
from toki_tui.ui.slash_commands import help_lines

KEY_HELP: tuple[tuple[str, str], ...] = (
    ("Enter", "send the prompt"),
    ("Ctrl+J / Alt+Enter", "new line in the prompt"),
    ("Tab", "complete a /command, a model id, a choice or a path (again: the next candidate); never leaves the prompt"),
    ("Up (empty prompt)", "recall earlier prompts"),
    ("PgUp / PgDn", "scroll the conversation (older messages load at the top)"),
    ("Ctrl+Home / Ctrl+End", "oldest loaded message (again: load older) / newest message"),
    ("Esc", "stop the reply (the partial text is kept, marked stopped), or stop waiting for an MCP tool"),
    ("Ctrl+R", "retry the last reply"),
    ("Shift+Tab (from the prompt)", "focus the newest message; Up / Down move between messages"),
    ("← / → (on a message)", "its previous / next sibling ‹ 2/3 ›, with the branch under it (or click the arrows)"),
    ("Ctrl+R (on a message)", "regenerate that reply (the old one stays as a sibling)"),
    ("Ctrl+E (on a question)", "edit it in the prompt; sending asks it anew beside the old one (Esc cancels)"),
    ("Ctrl+K (on a reply)", "continue a reply that was stopped or cut short (or click ⏵ continue)"),
    ("Compare: ← / → or 1-4", "on the compare columns (Shift+Tab from the prompt): select a column"),
    ("Compare: X", "stop the selected column's reply; the others go on (Esc stops them all)"),
    ("Compare: Esc", "once the replies have ended: back to the prompt (typing goes there too)"),
    ("Compare: Enter", "continue the conversation with the selected column's reply"),
    ("F3", "fold or unfold the newest reply's thinking (or click ▸ Thinking)"),
    ("F3 (on a message)", "fold or unfold its long tool output (or click ▸ Show all) or its thinking"),
    ("F4", "how the reply was made: model, parameters, usage, timing (or click its header)"),
    ("F5 / F8", "copy the reply (Markdown) / its last code block; the clicked reply, else the newest"),
    ("Ctrl+L", "pick a file to attach to the next message (or /attach PATH)"),
    ("Ctrl+O", "pick a model"),
    ("Ctrl+B", "show or hide the history list (typing searches it)"),
    ("F2 / Ctrl+G", "show or hide the parameter sidebar"),
    ("Ctrl+P", "command palette: every action, with its key"),
    ("Ctrl+N", "new conversation"),
    ("Ctrl+T", "change the theme (the choice is saved)"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
)

HELP_KEY_IDS: dict[str, tuple[str, ...]] = {
    "Esc": ("chat.stop",),
    "Ctrl+R": ("chat.retry",),
    "Shift+Tab (from the prompt)": ("prompt.messages",),
    "Ctrl+R (on a message)": ("message.regenerate",),
    "Ctrl+E (on a question)": ("message.edit",),
    "Ctrl+K (on a reply)": ("message.continue",),
    "Compare: X": ("compare.stop_one",),
    "Compare: Enter": ("compare.continue",),
    "F3": ("chat.thinking",),
    "F3 (on a message)": ("message.fold",),
    "F4": ("chat.details",),
    "F5 / F8": ("chat.copy", "chat.copy_code"),
    "Ctrl+O": ("chat.model",),
    "Ctrl+B": ("chat.history",),
    "F2 / Ctrl+G": ("chat.params",),
    "Ctrl+N": ("chat.new",),
    "Ctrl+T": ("app.theme",),
    "F1": ("chat.help",),
    "Ctrl+Q": ("app.quit",),
}
"""The binding ids behind a KEY_HELP label: a label whose keys the `[keymap]` changed shows the keys in effect."""


def key_label(label: str, keymap: Mapping[str, str]) -> str:
    ids = HELP_KEY_IDS.get(label, ())
    if not any(binding_id in keymap for binding_id in ids):
        return label
    note = label[label.index(" (") :] if " (" in label else ""
    where = label[: label.index(": ") + 2] if ": " in label else ""  # "Compare: X" stays "Compare: ..."
    return where + " / ".join(key_display(keys_for(binding_id, keymap)) for binding_id in ids) + note


INDENT = 2
GAP = 2
MIN_DESCRIPTION_WIDTH = 16
"""Below this, descriptions go on lines of their own rather than in a column too thin to read."""
MAX_KEY_WIDTH = 28
"""The first column is no wider than this: a longer entry (`/tool_choice auto|none|required|NAME`) has its line
to itself, its description under it in the column, rather than pushing every description to the right, which
left them a third of an 80-column terminal."""


def _rows(entries: Sequence[tuple[str, str]], key_width: int, width: int) -> list[Content]:
    description_width = width - INDENT - key_width
    lines: list[Content] = []
    for key, text in entries:
        label = Content.styled(f"{' ' * INDENT}{key:<{key_width}}", "bold")
        if description_width < MIN_DESCRIPTION_WIDTH:
            lines.append(label)
            lines += [Content(" " * (INDENT * 2)) + part for part in Content(text).wrap(width - INDENT * 2)]
            continue
        first, *rest = Content(text).wrap(description_width)
        if len(key) + GAP > key_width:
            lines.append(label)
            rest = [first, *rest]
        else:
            lines.append(label + first)
        lines += [Content(" " * (INDENT + key_width)) + part for part in rest]
    return lines


def help_content(width: int = 76, keymap: Mapping[str, str] | None = None) -> Content:
    """The help text for a pane `width` cells wide, with the keys `keymap` remaps: the first column fits its
    longest entry up to MAX_KEY_WIDTH, and wrapped descriptions start under the description, not at the edge."""
    commands = help_lines()
    stop = key_name("chat.stop", keymap or {}, "Esc")  # "(Esc cancels)" in a description: the key in effect
    keys = [(key_label(label, keymap or {}), text.replace("Esc ", f"{stop} ")) for label, text in KEY_HELP]
    key_width = min(max(len(key) for key, _ in (*keys, *commands)), MAX_KEY_WIDTH) + GAP
    lines: list[Content] = [Content.styled("Keys", "bold $primary")]
    lines += _rows(keys, key_width, width)
    lines += [Content(""), Content.styled("Commands (type in the prompt)", "bold $primary")]
    lines += _rows(commands, key_width, width)
    lines += [Content(""), Content.styled("Start a message with // to send a literal leading slash.", "dim")]
    return Content("\n").join(lines)


class HelpText(Static):
    """The help, laid out again for each width (the columns are made here, not by the terminal's wrapping)."""

    def on_resize(self, event: Resize) -> None:
        self.update(help_content(max(event.size.width, 20), getattr(self.app, "applied_keymap", None)))


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield HelpText(help_content(keymap=getattr(self.app, "applied_keymap", None)), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
