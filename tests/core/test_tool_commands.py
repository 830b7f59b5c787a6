"""The command bound to a tool: its arguments are one argv entry (no shell), its output the call's result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from toki_tui.core.config.config_file import load_config
from toki_tui.core.errors import ConfigError
from toki_tui.core.tool_commands import TOOL_OUTPUT_MAX_CHARS, run_tool_command, tool_command_line

ECHO_ARGS = "import json, sys; print(json.dumps(sys.argv[1:]))"


def test_arguments_are_one_argv_entry_never_a_shell(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    arguments = json.dumps({"city": f"Oslo; touch {planted} $(touch {planted}) `touch {planted}`"})
    argv = tool_command_line((sys.executable, "-c", ECHO_ARGS), arguments)
    assert argv[-1] == arguments
    assert json.loads(run_tool_command(argv)) == [arguments]
    assert not planted.exists()


def test_failures_and_timeouts_become_the_result(tmp_path: Path) -> None:
    failed = run_tool_command([sys.executable, "-c", "import sys; sys.stderr.write('no city'); sys.exit(3)"])
    assert failed.startswith("The command failed (exit status 3).") and "no city" in failed
    assert run_tool_command([str(tmp_path / "missing")]).startswith("The command could not run")
    slow = run_tool_command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2)
    assert slow == "The command did not finish within 0.2 s and was stopped."


def test_long_output_is_cut() -> None:
    output = run_tool_command([sys.executable, "-c", f"print('x' * {TOOL_OUTPUT_MAX_CHARS + 10})"])
    assert output.endswith(f"[output cut at {TOOL_OUTPUT_MAX_CHARS} characters]")


def test_tool_commands_in_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[tool_commands]\nget_weather = ["/usr/bin/weather", "--json"]\n')
    assert load_config(path).tool_commands == {"get_weather": ("/usr/bin/weather", "--json")}
    path.write_text('[tool_commands]\nget_weather = "weather --json"\n')
    with pytest.raises(ConfigError, match="tool_commands: expected tool names mapped to commands as arrays"):
        load_config(path)
