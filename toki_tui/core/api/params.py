"""Request parameters and messages: one validated definition shared by the config, the CLI flags, the TUI
sidebar and slash commands, so a bad value is refused the same way everywhere, before any request.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "developer", "user", "assistant", "tool")
SYSTEM_ROLES = ("system", "developer")
"""The roles the system prompt can be sent as: newer OpenAI models want "developer", most servers "system"."""


@dataclass(frozen=True, slots=True)
class NumberRange:
    """The allowed range of one numeric parameter, used for validation and for error messages."""

    low: float
    high: float | None
    integer: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.high is None:
            return f"{kind} >= {self.low:g}"
        return f"{kind} from {self.low:g} to {self.high:g}"

    def bounds(self) -> str:
        """The range in few words ("-2 to 2", "an integer >= 1"), for a field's placeholder in a narrow sidebar."""
        return self.describe() if self.high is None else f"{self.low:g} to {self.high:g}"


#: The numeric parameters of the Chat Completions API and their allowed ranges (TOKI docs, docs/protocol.md §1.2).
PARAMETER_RANGES: dict[str, NumberRange] = {
    "temperature": NumberRange(0.0, 2.0),
    "top_p": NumberRange(0.0, 1.0),
    "frequency_penalty": NumberRange(-2.0, 2.0),
    "presence_penalty": NumberRange(-2.0, 2.0),
    "max_tokens": NumberRange(1, None, integer=True),
}


class ParameterError(ValueError):
    """A parameter value is out of range or of the wrong type; the message names the allowed form."""


def check_parameter(name: str, value: object) -> float | int:
    """Return `value` as the right numeric type, or raise ParameterError naming the allowed range."""
    allowed = PARAMETER_RANGES[name]
    number: float | int
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be {allowed.describe()}, not {value!r}")
    if isinstance(value, str):
        try:
            number = int(value) if allowed.integer else float(value)
        except ValueError:
            raise ParameterError(f"{name} must be {allowed.describe()}, not {value!r}") from None
    elif isinstance(value, int | float):
        number = value
    else:
        raise ParameterError(f"{name} must be {allowed.describe()}, not {value!r}")
    if allowed.integer:
        if isinstance(number, float):
            if not number.is_integer():
                raise ParameterError(f"{name} must be {allowed.describe()}, not {value!r}")
            number = int(number)
    else:
        number = float(number)
        if not math.isfinite(number):
            raise ParameterError(f"{name} must be {allowed.describe()}, not {value!r}")
    if number < allowed.low or (allowed.high is not None and number > allowed.high):
        raise ParameterError(f"{name} must be {allowed.describe()}, not {value!r}")
    return number


def check_system_role(value: object) -> str:
    """ "system" or "developer" (any case), or raise ParameterError naming both."""
    role = value.strip().lower() if isinstance(value, str) else value
    if role not in SYSTEM_ROLES:
        raise ParameterError(f"system_role must be system or developer, not {value!r}")
    return str(role)


@dataclass(frozen=True, slots=True)
class ChatParams:
    """Sampling and output parameters of one request. `None` means "let the server choose".

    Construct through `ChatParams.create()` (or `replace()`), which validates every value.
    """

    temperature: float | None = None
    """0 to 2. Higher is more random."""
    top_p: float | None = None
    """0 to 1. Nucleus sampling."""
    max_tokens: int | None = None
    """At least 1. Upper bound on the reply length."""
    frequency_penalty: float | None = None
    """-2 to 2."""
    presence_penalty: float | None = None
    """-2 to 2."""
    json_mode: bool = False
    """Ask for a JSON object reply (`response_format: {"type": "json_object"}`)."""
    stream: bool = True
    """Stream the reply as it is generated."""
    response_format: dict[str, Any] | None = None
    """A full `response_format` object (e.g. a JSON schema); overrides `json_mode`."""
    tools: tuple[dict[str, Any], ...] | None = None
    """Tool definitions, sent as given."""
    tool_choice: str | dict[str, Any] | None = None
    """"auto", "none", "required" or a `{"type": "function", ...}` object."""
    system_role: str = "system"
    """The role the system prompt is sent as: "system" or "developer". Not a body field of its own; kept here so
    that it is stored with the conversation's parameters and restored with them."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Any other body fields for a server that needs them (e.g. `seed`, `stop`); sent as given."""

    @classmethod
    def create(cls, **values: Any) -> ChatParams:
        return cls().replace(**values)

    def replace(self, **values: Any) -> ChatParams:
        """A copy with `values` changed, each validated; raises ParameterError on a bad value."""
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if name in PARAMETER_RANGES:
                checked[name] = None if value is None else check_parameter(name, value)
            elif name in ("json_mode", "stream"):
                if not isinstance(value, bool):
                    raise ParameterError(f"{name} must be true or false, not {value!r}")
                checked[name] = value
            elif name == "system_role":
                checked[name] = check_system_role(value)
            elif name == "tools" and value is not None:
                checked[name] = tuple(value)
            elif name == "tool_choice" and value is not None and not isinstance(value, str | dict):
                raise ParameterError(f"tool_choice must be a string or an object, not {value!r}")
            elif name in {f.name for f in dataclasses.fields(ChatParams)}:
                checked[name] = value
            else:
                raise ParameterError(f"unknown parameter {name!r}")
        return dataclasses.replace(self, **checked)

    def to_wire(self) -> dict[str, Any]:
        """The body fields these parameters add to a request (not `model`, `messages` or `stream`)."""
        body: dict[str, Any] = {}
        for name in PARAMETER_RANGES:
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.response_format is not None:
            body["response_format"] = self.response_format
        elif self.json_mode:
            body["response_format"] = {"type": "json_object"}
        if self.tools is not None:
            body["tools"] = list(self.tools)
        if self.tool_choice is not None:
            body["tool_choice"] = self.tool_choice
        body.update(self.extra)
        return body

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict of the values set, for storing with a conversation or a message."""
        record: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None or value == f.default or (f.name == "extra" and not value):
                continue
            record[f.name] = list(value) if f.name == "tools" else value
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ChatParams:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls.create(**{k: v for k, v in record.items() if k in known})


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of the conversation as sent to the API."""

    role: str
    content: str | list[dict[str, Any]] | None
    name: str | None = None
    tool_calls: tuple[dict[str, Any], ...] | None = None
    tool_call_id: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ParameterError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")

    def to_wire(self) -> dict[str, Any]:
        """The message as JSON for the request. Reasoning is never part of it (it is not sent back)."""
        wire: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            wire["name"] = self.name
        if self.tool_calls:
            wire["tool_calls"] = list(self.tool_calls)
        if self.tool_call_id is not None:
            wire["tool_call_id"] = self.tool_call_id
        return wire


def tool_calls_json(tool_calls: tuple[dict[str, Any], ...] | None) -> str | None:
    """Tool calls as a JSON string for storage, or None."""
    return json.dumps(list(tool_calls)) if tool_calls else None
