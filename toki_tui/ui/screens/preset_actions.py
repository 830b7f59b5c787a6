"""/preset NAME, /preset save NAME and the palette's presets, on the chat screen.

Applying a preset goes through the paths the chat's own commands use: `settings.set_model` (as /model) and
`settings.apply` (as the sidebar and /temperature, /system, /json, /role, /tools do), so the settings are shown
and saved with the conversation the same way; a preset naming another endpoint switches the app to it first (its
key resolved in a thread, as `api_key_cmd` may run). The active preset stays for new conversations (Ctrl+N applies
it again); opening a saved conversation, which brings its own settings, ends it. `toki --preset NAME` is applied
to the first conversation (over `--resume`'s settings), its model and endpoint already chosen by the command line,
where flags go over it. Saving writes the preset into the config through the app's in-place save; a name already
taken is replaced only after a confirmation, and a preset from the presets folder never is.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from toki_tui.core.config.endpoints import resolve_endpoint
from toki_tui.core.config.model import tools_file_for_endpoint
from toki_tui.core.config.presets import (
    Preset,
    find_preset,
    preset_from_settings,
    tools_file_path,
    valid_preset_name,
)
from toki_tui.core.errors import ConfigError
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from toki_tui.ui.screens.chat import ChatScreen


def show_presets(screen: ChatScreen) -> None:
    """Give the prompt the names `/preset` completes, and the sidebar the active preset's name."""
    screen.query_one(PromptInput).preset_names = sorted(screen.toki.config.presets)
    screen.query_one(ParameterSidebar).show_preset(screen.settings.preset)


def start(screen: ChatScreen) -> None:
    """On mount: the names, `--preset`'s settings for a new conversation, and the presets left out (once)."""
    app = screen.toki
    show_presets(screen)
    if app.start_preset is not None and not app.resume:
        preset, app.start_preset = app.start_preset, None
        _apply(screen, preset, None)
    if app.config.preset_problems:
        listed = "\n".join(app.config.preset_problems.values())
        screen.notify(f"Presets left out:\n{listed}", title="Presets", severity="warning", timeout=15)


def conversation_opened(screen: ChatScreen) -> None:
    """Another conversation is on screen with its own settings: `--preset`'s go over them the first time (with
    `--resume`), else no preset is active."""
    app = screen.toki
    screen.settings.tools_file = None  # its tools (stored with it) came from a file not recorded
    if app.start_preset is not None:
        preset, app.start_preset = app.start_preset, None
        _apply(screen, preset, None)
        return
    screen.settings.preset = None
    show_presets(screen)


def conversation_started(screen: ChatScreen) -> None:
    """A new conversation (with the config's settings): the active preset, if any, applies to it too, its model
    included (its endpoint is already the app's: applying the preset switched to it)."""
    app, settings = screen.toki, screen.settings
    settings.tools_file = tools_file_for_endpoint(app.config, app.endpoint.name)
    name = settings.preset
    if name is not None and name in screen.toki.config.presets:
        preset = screen.toki.config.presets[name]
        _apply(screen, preset, preset.model, quiet=True)


def list_presets(screen: ChatScreen) -> None:
    names = sorted(screen.toki.config.presets)
    listed = ", ".join(names) if names else "none yet ([presets.NAME] in the config, or the presets folder)"
    screen.notify(f"Presets: {listed}. /preset NAME applies one; /preset save NAME saves the settings as one.")


def apply_preset(screen: ChatScreen, name: str) -> None:
    """Apply the preset `name` to the conversation on screen, or say why not (an unknown name lists them)."""
    app = screen.toki
    try:
        preset = find_preset(app.config.presets, app.config.preset_problems, name)
    except ConfigError as error:
        screen.notify(str(error), title="Preset not applied", severity="error", timeout=10)
        return
    if preset.endpoint is not None and preset.endpoint != app.endpoint.name:
        start_worker(screen, _switch_endpoint_then_apply, screen, preset, group="preset")
    else:
        _apply(screen, preset, preset.model)


async def _switch_endpoint_then_apply(screen: ChatScreen, preset: Preset) -> None:
    app = screen.toki
    try:
        resolved = await asyncio.to_thread(
            resolve_endpoint, app.config, os.environ, endpoint=preset.endpoint, model=preset.model
        )
    except ConfigError as error:
        screen.notify(str(error), title="Preset not applied", severity="error", timeout=10)
        return
    if screen.streaming:
        await screen.replies.stop_and_wait()  # the reply in flight belongs to the old endpoint's client
    await app.switch_endpoint(resolved)
    screen.session.endpoint_name = resolved.name
    screen.query_one(StatusLine).endpoint_name = resolved.name
    _apply(screen, preset, resolved.model)
    screen.model_choice.load()  # the new endpoint's list, for the picker and Tab


def _apply(screen: ChatScreen, preset: Preset, model: str | None, *, quiet: bool = False) -> None:
    session, settings = screen.session, screen.settings
    if model is not None and model != session.model:
        settings.set_model(model)
    before = session.params
    after = preset.params_over(before)
    for name in ("tools", "tool_choice", *preset.parameters, "json_mode", "system_role"):
        if getattr(after, name) != getattr(before, name):
            settings.apply(name, getattr(after, name), echo=False)
    if preset.tools is not None:
        settings.tools_file = tools_file_path(preset, screen.toki.config.source)
    if preset.system_prompt is not None:
        settings.apply("system_prompt", preset.system_prompt or None, echo=False)
    settings.preset = preset.name
    settings.show()
    show_presets(screen)
    if not quiet:
        screen.notify(f"Preset {preset.name}: {preset.describe()} (from the next message)")


def save_preset(screen: ChatScreen, name: str) -> None:
    """Store the conversation's settings as the preset `name`; ask before replacing one of the config's."""
    app = screen.toki
    try:
        valid_preset_name(name)
    except ValueError as error:
        screen.notify(f"A preset name is {error}", title="Preset not saved", severity="error")
        return
    existing = app.config.presets.get(name)
    if existing is not None and existing.file is not None:
        screen.notify(
            f"The preset {name} comes from {existing.file}: edit that file, or save under another name",
            title="Preset not saved",
            severity="error",
            timeout=10,
        )
        return
    session = screen.session
    preset = preset_from_settings(
        name,
        model=session.model,
        endpoint=session.endpoint_name if session.endpoint_name in app.config.endpoints else None,
        params=session.params,
        system_prompt=session.system_prompt,
        tools_file=screen.settings.tools_file,
    )
    if existing is None:
        _save(screen, preset)
    else:
        start_worker(screen, _confirm_then_save, screen, preset, group="preset")


async def _confirm_then_save(screen: ChatScreen, preset: Preset) -> None:
    from toki_tui.ui.screens.confirm_dialog import ConfirmDialog

    question = plain_content(f"Replace the preset {preset.name} in the config with the current settings?")
    if await screen.app.push_screen_wait(ConfirmDialog(question, yes="Replace")):
        _save(screen, preset)
    else:
        screen.notify(f"The preset {preset.name} was kept as it was.")


def _save(screen: ChatScreen, preset: Preset) -> None:
    if screen.toki.save_preset(preset):
        screen.settings.preset = preset.name
        show_presets(screen)
        unsaved = screen.session.params.tools is not None and preset.tools_file is None
        note = " (without its tools: the file they came from is not known; /tools PATH names it)" if unsaved else ""
        screen.notify(f"Saved the preset {preset.name} in {screen.toki.paths.config_file}{note}")
