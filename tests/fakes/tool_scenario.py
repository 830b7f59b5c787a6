"""The `--scenario mcp` replies: a model that calls the tools it is offered when asked to, for trying tool calls
(MCP or a tools file) by hand against the fake.

- a user message `call NAME {JSON}` (several joined by ` then `) answers with those tool calls; NAME is the
  offered tool of that name, else the first offered one ending in `__NAME` (a prefixed MCP tool);
- a request ending with `tool` messages answers with what the tools returned (each cut to 200 characters), so the
  model "goes on";
- anything else answers with the names of the tools offered and how to call one.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.completions import request_payload, text_reply
from tests.fakes.recording import RecordedRequest
from tests.fakes.replies import Reply, dynamic
from tests.fakes.streams import stream_tool_calls

SHOWN_RESULT_CHARS = 200


def offered_tool_names(payload: dict[str, Any]) -> list[str]:
    names = []
    for tool in payload.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def _resolve_name(name: str, offered: list[str]) -> str:
    if name in offered:
        return name
    return next((tool for tool in offered if tool.endswith(f"__{name}")), name)


def _calls(text: str, offered: list[str]) -> list[dict[str, Any]]:
    calls = []
    for index, part in enumerate(text.split(" then ")):
        name, _, arguments = part.strip().removeprefix("call ").strip().partition(" ")
        calls.append(
            {"name": _resolve_name(name, offered), "arguments": arguments.strip() or "{}", "id": f"call_{index}"}
        )
    return calls


def _results_text(messages: list[Any]) -> str:
    results = []
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "tool":
            break
        content = str(message.get("content"))
        cut = content[:SHOWN_RESULT_CHARS] + ("…" if len(content) > SHOWN_RESULT_CHARS else "")
        results.append(f"- {message.get('tool_call_id')}: {cut}")
    return "The tools answered:\n\n" + "\n".join(reversed(results))


def tool_calling_reply() -> Reply:
    def resolve(request: RecordedRequest) -> Reply:
        payload = request_payload(request)
        messages = payload.get("messages") or []
        last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
        offered = offered_tool_names(payload)
        content = last.get("content")
        if last.get("role") == "tool":
            return text_reply(_results_text(messages), chunk_delay=0.01)
        if last.get("role") == "user" and isinstance(content, str) and content.startswith("call "):
            return stream_tool_calls(_calls(content, offered), chunk_delay=0.01)
        listing = ", ".join(offered) or "none"
        example = json.dumps({"text": "hi"})
        return text_reply(f"Tools offered: {listing}. Say `call echo {example}`.", chunk_delay=0.01)

    return dynamic(resolve, label="tool_calling")
