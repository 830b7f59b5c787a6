"""Presets in the chat: /preset NAME (Tab completes it) applies a preset's endpoint, model, system prompt and
parameters to the next request, the sidebar names it, /preset save NAME writes the settings into the config in
place (its comments kept), replacing a preset of that name only after a confirmation, and a new conversation starts
with the active preset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, assert_dialog_centered, enter_text, make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text
from toki_tui.core.config.config_file import load_config
from toki_tui.ui.command_palette import preset_commands
from toki_tui.ui.screens.confirm_dialog import ConfirmDialog
from toki_tui.ui.widgets.prompt_input import PromptInput

OTHER_KEY = "sk-other-endpoint-key"


def config_text(base_url: str) -> str:
    return f"""\
# My config, with a comment toki keeps.
default_model = "m/default"

[endpoints.other]
base_url = "{base_url}"   # the second server
api_key_env = "OTHER_KEY"

[presets.terse]
endpoint = "other"
model = "m/terse"
system_prompt = "Be terse."
[presets.terse.parameters]
temperature = 0.2
json_mode = true

[presets.plain]
system_prompt = ""   # no system prompt
"""


async def _command(pilot: Pilot[Any], harness: AppHarness, text: str) -> None:
    harness.screen.query_one(PromptInput).focus()
    await enter_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


def _sidebar_preset(harness: AppHarness) -> str:
    """The sidebar's preset line, as it is on screen ("" when hidden)."""
    label = harness.screen.query_one("#param-preset", Static)
    shown = str(label.render()) if label.display and label.region.height else ""
    assert not shown or shown in screen_plain_text(harness.app)
    return shown


async def test_a_preset_applies_to_the_next_request_and_the_settings_save_as_one(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTHER_KEY", OTHER_KEY)
    config_file = tmp_path / "config" / "config.toml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text(config_text(fake_server.base_url), encoding="utf-8")
    fake_server.script(stream_text("ok"), stream_text("ok again"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        assert _sidebar_preset(harness) == ""
        prompt = harness.screen.query_one(PromptInput)
        prompt.focus()
        prompt.text = "/preset te"
        await pilot.press("tab")
        assert prompt.text == "/preset terse "
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.session.endpoint_name == "other")
        assert _sidebar_preset(harness) == "Preset: terse"
        await _command(pilot, harness, "Hi")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1 and not harness.screen.streaming)
        request = fake_server.chat_requests()[0]
        assert request.bearer_token == OTHER_KEY
        body = request.json()
        assert (body["model"], body["temperature"], body["response_format"]) == (
            "m/terse",
            0.2,
            {"type": "json_object"},
        )
        assert body["messages"][0] == {"role": "system", "content": "Be terse."}

        await _command(pilot, harness, "/temperature 0.5")
        await _command(pilot, harness, "/preset save mine")
        await wait_until(pilot, lambda: "mine" in harness.app.config.presets)
        assert _sidebar_preset(harness) == "Preset: mine"
        await _command(pilot, harness, "/preset save terse")  # taken: asks first; No keeps it
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ConfirmDialog))
        assert_dialog_centered(harness.app, "#confirm-dialog")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(harness.app.screen, ConfirmDialog))
        await _command(pilot, harness, "/model m/other")
        assert harness.screen.session.model == "m/other"
        await pilot.press("ctrl+n")  # a new conversation starts with the active preset again, its model included
        await wait_until(pilot, lambda: harness.screen.session.conversation_id is None)
        assert (harness.screen.session.params.temperature, _sidebar_preset(harness)) == (0.5, "Preset: mine")
        assert harness.screen.session.model == "m/terse"
        assert harness.screen.session.system_prompt == "Be terse."
        await _command(pilot, harness, "/preset plain")  # system_prompt = "": the one in force is cleared
        assert harness.screen.session.system_prompt is None
        await _command(pilot, harness, "Again")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        assert [m["role"] for m in fake_server.chat_requests()[1].json()["messages"]] == ["user"]

    text = config_file.read_text(encoding="utf-8")
    assert text.startswith(config_text(fake_server.base_url)), "the user's lines and comments are kept"
    saved = load_config(config_file).presets
    mine = saved["mine"]
    assert (mine.model, mine.endpoint, mine.system_prompt, mine.json_mode) == ("m/terse", "other", "Be terse.", True)
    assert dict(mine.parameters) == {"temperature": 0.5}
    assert dict(saved["terse"].parameters) == {"temperature": 0.2}, "not replaced without a yes"


def test_the_palette_lists_each_preset_with_what_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config_text("http://127.0.0.1:9/v1"), encoding="utf-8")
    plain, terse = preset_commands(load_config(path).presets)  # by name
    assert terse.title == "Preset: terse"
    assert terse.help == ("apply: model m/terse, endpoint other, system prompt, JSON mode on, temperature 0.2")
    assert (plain.title, plain.help) == ("Preset: plain", "apply: no system prompt")
