"""A model's call of an MCP tool, as the confirmation shows it and as the server receives it.

The model sends the arguments as JSON text; an MCP server takes a JSON object. Text that is not a JSON object is
not sent to the server at all: the call's `tool` message says why, so the model can try again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """One call of a reply: its id, the name the model used, and its arguments as the model sent them."""

    call_id: str
    name: str
    arguments: str

    @classmethod
    def from_wire(cls, call: dict[str, Any]) -> ToolCall:
        function = call.get("function")
        function = function if isinstance(function, dict) else {}
        arguments = function.get("arguments") or ""
        text = arguments if isinstance(arguments, str) else json.dumps(arguments)
        return cls(str(call.get("id") or ""), str(function.get("name") or ""), text)


def parse_arguments(text: str) -> dict[str, Any] | str:
    """The arguments as a JSON object, or the text of the `tool` message saying why they cannot be sent."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        return f"The arguments were not valid JSON ({error}); the tool was not run."
    if not isinstance(value, dict):
        return "The arguments were not a JSON object; the tool was not run."
    return value


def pretty_arguments(text: str) -> str:
    """The arguments indented for the confirmation (as they are, when they are not JSON). Still untrusted text:
    shown through the display boundary only."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) if text.strip() else "{}"
    except ValueError:
        return text


def tool_calls_of(calls: list[dict[str, Any]] | None) -> list[ToolCall]:
    return [ToolCall.from_wire(call) for call in calls or () if isinstance(call, dict)]
