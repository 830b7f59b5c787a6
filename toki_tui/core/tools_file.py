"""Tool definitions read from a JSON file (`tools_file` in the config, `--tools`, `/tools`), and `tool_choice`.

The file holds a JSON array of tool objects, sent as given in the request's `tools`. Each must name its function
(`{"type": "function", "function": {"name": ...}}`): a tool without a name could never be chosen or answered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TOOLS_FILE_MAX_BYTES = 1024 * 1024
"""The largest tools file read. Real tool lists are a few kilobytes; every request carries the whole list, so a
file far larger is a wrong file, not a tool list."""

TOOL_CHOICE_WORDS = ("auto", "none", "required")


class ToolsError(ValueError):
    """A tools file or tool_choice that cannot be used; the message names the file and what it must hold."""


def read_tools_file(path: Path) -> tuple[dict[str, Any], ...]:
    """The tools in `path`, checked; raises ToolsError naming the file."""
    try:
        with path.open("rb") as file:
            raw = file.read(TOOLS_FILE_MAX_BYTES + 1)
    except OSError as error:
        raise ToolsError(f"cannot read the tools file {path}: {error.strerror or error}") from None
    if len(raw) > TOOLS_FILE_MAX_BYTES:
        raise ToolsError(f"the tools file {path} is over {TOOLS_FILE_MAX_BYTES // 1024} KiB: not a tool list")
    try:
        tools = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ToolsError(f"the tools file {path} is not valid JSON: {error}") from None
    return check_tools(tools, str(path))


def check_tools(tools: object, where: str) -> tuple[dict[str, Any], ...]:
    """`tools` as a tuple if it is a non-empty array of named function tools; else ToolsError naming `where`."""
    form = 'a non-empty JSON array of tools such as [{"type": "function", "function": {"name": "get_weather"}}]'
    if not isinstance(tools, list) or not tools or not all(isinstance(tool, dict) for tool in tools):
        raise ToolsError(f"the tools file {where} must hold {form}")
    for number, tool in enumerate(tools, 1):
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            raise ToolsError(f"the tools file {where}: tool {number} has no function name; expected {form}")
    return tuple(tools)


def tool_names(tools: tuple[dict[str, Any], ...] | None) -> list[str]:
    return [str(tool.get("function", {}).get("name")) for tool in tools or ()]


def tool_choice_value(choice: str, tools: tuple[dict[str, Any], ...] | None) -> str | dict[str, Any]:
    """The request's `tool_choice` for auto, none, required or a function NAME among `tools`; else ToolsError."""
    if choice in TOOL_CHOICE_WORDS:
        if tools is None and choice == "required":
            raise ToolsError("tool_choice required needs tools: load a tools file first")
        return choice
    names = tool_names(tools)
    if choice not in names:
        known = f"the tools are {', '.join(names)}" if names else "no tools are loaded"
        raise ToolsError(f"tool_choice {choice!r} is not a tool ({known}); or use auto, none, required")
    return {"type": "function", "function": {"name": choice}}
