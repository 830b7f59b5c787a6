"""`tools_file` in the config (global and per endpoint) and the checks of tool files and tool_choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toki_tui.core.config.config_file import load_config, parameters_for_endpoint
from toki_tui.core.errors import ConfigError
from toki_tui.core.tools_file import TOOLS_FILE_MAX_BYTES, ToolsError, read_tools_file, tool_choice_value

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def test_global_and_endpoint_tools_files_reach_the_parameters(tmp_path: Path) -> None:
    (tmp_path / "tools.json").write_text(json.dumps([WEATHER]))
    (tmp_path / "work.json").write_text(json.dumps([TIME]))
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        'tools_file = "tools.json"\n[endpoints.work]\nbase_url = "http://127.0.0.1:9/v1"\ntools_file = "work.json"\n'
    )
    config = load_config(config_path)
    assert parameters_for_endpoint(config, "toki").tools == (WEATHER,)
    assert parameters_for_endpoint(config, "work").tools == (TIME,)
    assert parameters_for_endpoint(config, "toki").to_wire()["tools"] == [WEATHER]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the tools file"),
        ("[{", "is not valid JSON"),
        ("{}", "must hold a non-empty JSON array"),
        ('[{"type": "function", "function": {}}]', "tool 1 has no function name"),
    ],
)
def test_a_bad_tools_file_is_one_error_naming_it(tmp_path: Path, content: str | None, expected: str) -> None:
    tools = tmp_path / "tools.json"
    if content is not None:
        tools.write_text(content)
    config_path = tmp_path / "config.toml"
    config_path.write_text('tools_file = "tools.json"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config_path)
    message = str(caught.value)
    assert message.startswith(f"{config_path}: tools_file: ") and str(tools) in message and expected in message


def test_an_oversized_tools_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(" " * (TOOLS_FILE_MAX_BYTES + 1))
    with pytest.raises(ToolsError, match="is over 1024 KiB"):
        read_tools_file(path)


def test_tool_choice_words_and_names() -> None:
    tools = (WEATHER,)
    assert tool_choice_value("auto", None) == "auto"
    assert tool_choice_value("get_weather", tools) == {"type": "function", "function": {"name": "get_weather"}}
    with pytest.raises(ToolsError, match="'nope' is not a tool \\(the tools are get_weather\\)"):
        tool_choice_value("nope", tools)
    with pytest.raises(ToolsError, match="needs tools"):
        tool_choice_value("required", None)
