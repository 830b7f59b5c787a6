"""The names MCP tools are offered to the model under, and the request's tool definitions.

A model calls a tool by a name matching `^[A-Za-z0-9_-]{1,64}$` (OpenAI's rule, which other servers follow), and
names must be unique across every server and the local tools file. A tool keeps its own name when that is
possible; a name two servers share (or a local tool's) becomes `SERVER__NAME`; a character outside the rule
becomes `_`, and a name still taken gets a number. The original name is kept for the call itself.

A name once offered to the model stays its tool's for the session (`kept`): when a server's tool list changes
(`list_changed`) and a newcomer's name clashes, the newcomer gets the `SERVER__NAME` form, never the tool already
offered, so a call the model makes under the old name (or an off-switch set on it) still means that tool. The
name of an offered tool that went away stays taken, so it can never come to mean another server's tool. Only a
local tool taking the name (the tools file changed) moves an offered tool to `SERVER__NAME`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")
NAME_MAX = 64
SEPARATOR = "__"


@dataclass(frozen=True)
class McpTool:
    """One tool of one server: `name` is the server's own (untrusted) name, `exposed` the name offered to the model."""

    server: str
    name: str
    description: str
    schema: dict[str, Any] = field(compare=False)
    exposed: str = ""

    def definition(self) -> dict[str, Any]:
        """The tool as an entry of the request's `tools`."""
        return {
            "type": "function",
            "function": {"name": self.exposed, "description": self.description, "parameters": self.schema},
        }


def _clean(name: str) -> str:
    return _NOT_ALLOWED.sub("_", name)[:NAME_MAX] or "tool"


def assign_names(
    tools: Iterable[McpTool], reserved: Iterable[str] = (), kept: Mapping[tuple[str, str], str] | None = None
) -> list[McpTool]:
    """`tools` (in server order) with unique `exposed` names, none of them in `reserved` (the local tools).
    `kept` maps (server, tool name) to the name already offered for it, which it keeps (unless a local tool now
    has it); its names are taken."""
    listed, local = list(tools), set(reserved)
    # A local tool (the request's own `tools`) wins even over a name offered before: two tools cannot share it.
    kept = {key: name for key, name in (kept or {}).items() if name not in local}
    taken = local | set(kept.values())
    servers_of: dict[str, set[str]] = {}
    for tool in listed:
        servers_of.setdefault(_clean(tool.name), set()).add(tool.server)
    named: list[McpTool] = []
    given: set[str] = set()
    for tool in listed:
        exposed = kept.get((tool.server, tool.name))
        if exposed is None or exposed in given:  # (a server listing one tool twice: the second is a newcomer)
            own = _clean(tool.name)
            shared = len(servers_of[own]) > 1 or own in taken
            candidate = _clean(f"{tool.server}{SEPARATOR}{tool.name}") if shared else own
            exposed, number = candidate, 2
            while exposed in taken:
                suffix = f"_{number}"
                exposed, number = candidate[: NAME_MAX - len(suffix)] + suffix, number + 1
            taken.add(exposed)
        given.add(exposed)
        named.append(McpTool(tool.server, tool.name, tool.description, tool.schema, exposed))
    return named


def object_schema(schema: object) -> dict[str, Any]:
    """A tool's input schema as sent: the server's own when it is a JSON object schema, else an empty object
    schema (a request with a malformed schema would be refused as a whole)."""
    if isinstance(schema, dict) and schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {}}
