"""The parameter sidebar: the active preset, model, sampling numbers, system prompt and its role, JSON mode,
streaming, "save as default".

Every number is checked as it is typed with the rules of toki_tui.core.api.params; a bad value is refused on the spot
(the field turns red and says the allowed range) and never reaches the session. Valid changes are posted up as
`ParameterChanged`; the screen applies them to the next request and saves them with the conversation.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Static, Switch, TextArea

from toki_tui.core.api.params import PARAMETER_RANGES, ChatParams, ParameterError, check_parameter
from toki_tui.core.text import displayable
from toki_tui.ui.safe_text import plain_content, plain_line
from toki_tui.ui.widgets.after_first_frame import ChildrenAfterFirstFrame

NUMERIC_FIELDS: tuple[tuple[str, str], ...] = (
    ("temperature", "Temperature"),
    ("top_p", "Top p"),
    ("max_tokens", "Max tokens"),
    ("frequency_penalty", "Frequency penalty"),
    ("presence_penalty", "Presence penalty"),
)
SWITCH_FIELDS: tuple[tuple[str, str], ...] = (("json_mode", "JSON mode"), ("stream", "Stream"))


class ParameterValidator(Validator):
    """The rules of toki_tui.core.api.params as a Textual validator, so the Input itself keeps its `-invalid` mark
    in step (it re-validates on blur and would otherwise clear a class set from outside)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.parameter = name

    def validate(self, value: str) -> ValidationResult:
        try:
            check_parameter(self.parameter, value.strip())
        except ParameterError as error:
            return self.failure(str(error))
        return self.success()


class ParameterSidebar(ChildrenAfterFirstFrame, VerticalScroll):
    """Shows the settings of the next request. Posts messages; holds no session and does no I/O."""

    class ParameterChanged(Message):
        """`name` is a ChatParams field or "system_prompt"; `value` is already validated."""

        def __init__(self, name: str, value: Any) -> None:
            super().__init__()
            self.name = name
            self.value = value

    class ModelPickRequested(Message):
        pass

    class SaveDefaultsRequested(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pending_settings: tuple[str, ChatParams, str | None] | None = None
        self._pending_model: str | None = None
        self._preset: str | None = None

    def compose(self) -> ComposeResult:
        return iter(())  # the fields come after the first frame: the sidebar starts blank for a moment

    def after_children_mounted(self) -> None:
        if self._pending_settings is not None:
            model, params, system_prompt = self._pending_settings
            self.show_settings(model=model, params=params, system_prompt=system_prompt)
        if self._pending_model is not None:
            self.show_model(self._pending_model)
        self.show_preset(self._preset)

    def children_after_first_frame(self) -> ComposeResult:
        yield Static("Parameters", classes="sidebar-title")
        yield Static("", id="param-preset")
        yield Label("Model")
        yield Button("(none)", id="param-model", classes="model-button")
        for name, title in NUMERIC_FIELDS:
            yield Label(title)
            yield Input(
                placeholder=f"default ({PARAMETER_RANGES[name].bounds()})",  # fits the narrow sidebar (27 cells)
                id=f"param-{name}",
                classes="param-input",
                type="text",
                compact=True,
                validators=[ParameterValidator(name)],
                valid_empty=True,
            )
            yield Static("", id=f"param-{name}-error", classes="param-error")
        for name, title in SWITCH_FIELDS:
            yield Horizontal(Switch(id=f"param-{name}", animate=False), Label(title), classes="switch-row")
        yield Label("System prompt")
        yield TextArea("", id="param-system_prompt", soft_wrap=True, tab_behavior="focus", compact=True)
        yield Horizontal(
            Switch(id="param-system_role", animate=False), Label("Send as developer"), classes="switch-row"
        )
        yield Button("Save as default", id="param-save-default", variant="primary")

    def show_settings(self, *, model: str, params: ChatParams, system_prompt: str | None) -> None:
        """Put the session's settings in the fields without echoing them back as changes."""
        if not self.built:
            self._pending_settings, self._pending_model = (model, params, system_prompt), None
            return
        with self.prevent(Input.Changed, Switch.Changed, TextArea.Changed):
            self.show_model(model)
            for name, _ in NUMERIC_FIELDS:
                value = getattr(params, name)
                field = self.query_one(f"#param-{name}", Input)
                field.value = "" if value is None else f"{value:g}"
                self._set_error(name, "")
            for name, _ in SWITCH_FIELDS:
                self.query_one(f"#param-{name}", Switch).value = bool(getattr(params, name))
            self.query_one("#param-system_role", Switch).value = params.system_role == "developer"
            # The system prompt may come from an imported conversation or a config file: the field shows it
            # displayable (Textual's TextArea writes control characters to the terminal as they are).
            system = self.query_one("#param-system_prompt", TextArea)
            shown = displayable(system_prompt or "")
            if system.text != shown:
                system.text = shown

    def show_model(self, model: str) -> None:
        if not self.built:
            self._pending_model = model
            return
        self.query_one("#param-model", Button).label = plain_line(model) if model else "(choose a model)"

    def show_preset(self, name: str | None) -> None:
        """Name the preset applied last (None: none); a name from the config, shown as plain text."""
        self._preset = name
        if self.built:
            label = self.query_one("#param-preset", Static)
            label.update(plain_content(f"Preset: {name}" if name else ""))
            label.set_class(bool(name), "-shown")

    def _set_error(self, name: str, message: str) -> None:
        label = self.query_one(f"#param-{name}-error", Static)
        label.update(plain_content(message))
        # A class, not `:empty`: in Textual `:empty` means "no child widgets", which a Static always is.
        label.set_class(bool(message), "-shown")

    @on(Input.Changed, ".param-input")
    def _number_changed(self, event: Input.Changed) -> None:
        event.stop()
        assert event.input.id is not None
        name = event.input.id.removeprefix("param-")
        text = event.value.strip()
        if not text:
            self._set_error(name, "")
            self.post_message(self.ParameterChanged(name, None))
            return
        try:
            value = check_parameter(name, text)
        except ParameterError as error:
            self._set_error(name, str(error))
            return
        self._set_error(name, "")
        self.post_message(self.ParameterChanged(name, value))

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        assert event.switch.id is not None
        name = event.switch.id.removeprefix("param-")
        value: Any = ("developer" if event.value else "system") if name == "system_role" else event.value
        self.post_message(self.ParameterChanged(name, value))

    @on(TextArea.Changed, "#param-system_prompt")
    def _system_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.ParameterChanged("system_prompt", event.text_area.text or None))

    @on(Button.Pressed, "#param-model")
    def _model_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ModelPickRequested())

    @on(Button.Pressed, "#param-save-default")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SaveDefaultsRequested())
