"""`--scenario mcp`: the fake model calls the tools it is offered when asked, and goes on once they answered."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.recording import RecordedRequest
from tests.fakes.tool_scenario import tool_calling_reply


def _body(messages: list[dict[str, Any]], tools: list[str], *, stream: bool = True) -> str:
    payload = {
        "model": "m",
        "stream": stream,
        "messages": messages,
        "tools": [{"type": "function", "function": {"name": name, "parameters": {}}} for name in tools],
    }
    request = RecordedRequest("POST", "/v1/chat/completions", {}, json.dumps(payload).encode())
    return tool_calling_reply().resolve(request).body.decode()


def test_a_call_request_names_the_offered_tool_even_when_prefixed() -> None:
    body = _body([{"role": "user", "content": 'call echo {"text": "hi"} then call big'}], ["fake__echo", "big"])
    assert '"name":"fake__echo"' in body.replace(" ", "")
    assert '"name":"big"' in body.replace(" ", "")
    assert '"finish_reason":"tool_calls"' in body.replace(" ", "")


def test_the_tool_results_are_answered_and_otherwise_the_tools_are_listed() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "call echo"},
        {"role": "assistant", "tool_calls": []},
        {"role": "tool", "tool_call_id": "call_0", "content": "echo: hi"},
    ]
    assert "call_0: echo: hi" in json.loads(_body(messages, ["echo"], stream=False))["choices"][0]["message"]["content"]
    listing = _body([{"role": "user", "content": "hello"}], ["echo", "big"], stream=False)
    assert "Tools offered: echo, big." in json.loads(listing)["choices"][0]["message"]["content"]
