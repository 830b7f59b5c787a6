"""Asks for the API key when none is configured. The key is returned to the app, which saves it to the config."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from toki_tui.core.text import displayable_line
from toki_tui.ui.key_names import shown_key


class ApiKeyDialog(ModalScreen[str | None]):
    """Returns the key typed (stripped), or None for "later" (history stays browsable without a key)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "later", "Later", id="api_key.later")]

    def __init__(self, *, endpoint_name: str, base_url: str, config_path: str, key_variable: str | None) -> None:
        """`key_variable`: the environment variable the endpoint reads its key from (its api_key_env), or None
        when it names none."""
        super().__init__()
        self._key_variable = key_variable
        self._endpoint_name = endpoint_name
        self._base_url = base_url
        self._config_path = config_path

    def compose(self) -> ComposeResult:
        with Vertical(id="api-key-dialog", classes="dialog"):
            yield Static("An API key is needed", classes="dialog-title")
            # The endpoint's name, its URL and the config path come from the config and the file system: plain
            # content, never markup.
            yield Static(
                Content.assemble(
                    "The endpoint ",
                    (displayable_line(self._endpoint_name), "bold"),
                    f" ({displayable_line(self._base_url)}) has no API key, so nothing can be sent yet. Your saved "
                    "conversations are still here to browse.\n\n"
                    f"Paste a key to save it in {displayable_line(self._config_path)} (readable only by you), or "
                    f"press {shown_key(self.app, 'api_key.later', 'Esc')} and ",
                    *self._elsewhere(),
                ),
                id="api-key-explanation",
            )
            yield Input(placeholder="API key", password=True, id="api-key-input")
            yield Static("", id="api-key-error", classes="param-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save key", variant="primary", id="api-key-save")
                yield Button("Later", id="api-key-later")

    def _elsewhere(self) -> tuple[str | tuple[str, str], ...]:
        """How to give the key without saving it here: the endpoint's own variable, else its config table."""
        if self._key_variable:
            return (
                "set the environment variable ",
                (displayable_line(self._key_variable), "bold"),
                " before starting toki — that way the key never touches the disk.",
            )
        table = f"[endpoints.{displayable_line(self._endpoint_name)}]"
        return (
            "set api_key_env (a variable's name) or api_key_cmd (a command that prints the key) under ",
            (table, "bold"),
            " in the config, then start toki again.",
        )

    def on_mount(self) -> None:
        self.query_one("#api-key-input", Input).focus()

    def _submit(self) -> None:
        key = self.query_one("#api-key-input", Input).value.strip()
        if not key:
            self.query_one("#api-key-error", Static).update("Paste a key first, or choose Later.")
            return
        if any(ch.isspace() for ch in key) or not key.isprintable():
            self.query_one("#api-key-error", Static).update("A key has no spaces or control characters.")
            return
        self.dismiss(key)

    @on(Input.Submitted, "#api-key-input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#api-key-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#api-key-later")
    def _later_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_later(self) -> None:
        self.dismiss(None)
