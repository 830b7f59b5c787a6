"""`toki ask -p NAME`: the preset's settings reach the request body (flags go over them); an unknown or broken
preset is refused before any request (`toki --preset` too, before the chat starts), naming the presets or the file
and field; `toki config show` lists them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.conftest import IsolatedDirs
from tests.fakes.server import FakeServer, stream_text
from toki_tui.cli.config_command import run_config_command


def test_the_preset_reaches_the_request_and_flags_go_over_it(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    config_dir = Path(toki_env["TOKI_CONFIG_DIR"])
    (config_dir / "config.toml").write_text(
        f"""\
[endpoints.fake]
base_url = "{fake_server.base_url}"
api_key_env = "FAKE_KEY"

[presets.terse]
endpoint = "fake"
model = "m/terse"
system_prompt = "Answer in one sentence."
system_role = "developer"
json_mode = true
[presets.terse.parameters]
temperature = 0.2
max_tokens = 50
""",
        encoding="utf-8",
    )
    (config_dir / "presets").mkdir()
    (config_dir / "presets" / "broken.toml").write_text("[parameters]\ntop_p = 3\n", encoding="utf-8")
    env = {**toki_env, "FAKE_KEY": "sk-fake-endpoint-key"}
    fake_server.script(stream_text("ok"))

    result = run_toki(["ask", "--no-save", "-p", "terse", "--temperature", "0.9", "Hi"], env)

    assert result.returncode == 0, result.stderr
    request = fake_server.chat_requests()[-1]
    assert request.bearer_token == "sk-fake-endpoint-key"  # the preset's endpoint, over TOKI_BASE_URL
    body = request.json()
    assert body["model"] == "m/terse"
    assert body["messages"][0] == {"role": "developer", "content": "Answer in one sentence."}
    assert (body["temperature"], body["max_tokens"]) == (0.9, 50)
    assert body["response_format"] == {"type": "json_object"}

    broken = run_toki(["ask", "--no-save", "-p", "broken", "Hi"], env)
    assert broken.returncode == 2
    assert f"{config_dir / 'presets' / 'broken.toml'}: parameters.top_p: expected a number from 0 to 1" in broken.stderr
    unknown = run_toki(["--preset", "nope"], env)  # the chat's --preset: refused before the screen is touched
    assert unknown.returncode == 2 and "\x1b" not in unknown.stdout
    assert "unknown preset 'nope'; the presets are: terse (" in unknown.stderr
    assert len(fake_server.chat_requests()) == 1


def test_config_show_lists_the_presets_and_names_the_ones_left_out(
    isolated_dirs: IsolatedDirs, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        'budget_per_day = 2.5\ntools_file = "tools.json"\n[tool_commands]\nget_weather = ["weather", "--json"]\n'
        '[models."m/x"]\nprice_in = 0.27\nprice_out = 1.1\n[presets.terse]\nmodel = "m/x"\n'
    )
    tools = (
        '[{"type": "function", "function": {"name": "get_weather"}}, {"type": "function", "function": {"name": "f"}}]'
    )
    (isolated_dirs.config_dir / "tools.json").write_text(tools, encoding="utf-8")
    (isolated_dirs.config_dir / "config.toml").write_text(config, encoding="utf-8")
    (isolated_dirs.config_dir / "presets").mkdir()
    (isolated_dirs.config_dir / "presets" / "broken.toml").write_text("[parameters]\ntop_p = 3\n", encoding="utf-8")
    assert run_config_command(argparse.Namespace(action="show")) == 0
    shown = capsys.readouterr()
    assert "presets:       terse (1 left out: named on stderr)\n" in shown.out
    tools_path = isolated_dirs.config_dir / "tools.json"
    assert f"tools:         {tools_path}: get_weather, f (commands for: get_weather)\n" in shown.out
    assert "budget/day:    $2.50\nprices:        per 1M tokens, in / out\n  m/x  0.27 / 1.1\n" in shown.out
    assert "toki: preset left out: " in shown.err and "broken.toml: parameters.top_p" in shown.err
