"""The tool loop from the command line: `toki ask --tools` stores the model's call, and a later `toki ask -c`
sends a history a strict server accepts (the unanswered call gets a `tool` message saying no result was given)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_toki
from tests.fakes.server import FakeServer, stream_text
from tests.fakes.streams import stream_tool_calls


def test_continuing_after_an_unanswered_call_sends_a_no_result_message(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps(tools), encoding="utf-8")
    fake_server.script(
        stream_tool_calls([{"id": "c1", "name": "get_weather", "arguments": '{"city":"Oslo"}'}]),
        stream_text("Then I cannot tell."),
    )
    asked = run_toki(["ask", "--tools", str(tools_file), "weather in Oslo?"], toki_env)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["tool_calls"][0]["id"] == "c1"
    followed = run_toki(["ask", "-c", "never mind"], toki_env)
    assert followed.returncode == 0, followed.stderr
    messages = fake_server.chat_requests()[1].json()["messages"]
    roles = [message["role"] for message in messages]
    assert roles == ["user", "assistant", "tool", "user"]
    assert messages[1]["tool_calls"][0]["id"] == "c1"
    assert messages[2] == {"role": "tool", "tool_call_id": "c1", "content": "No result was given for this call."}
    assert messages[3]["content"] == "never mind"
