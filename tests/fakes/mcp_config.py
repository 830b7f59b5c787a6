"""Config for the test MCP server (tests/fakes/mcp_server.py): as an McpServerConfig for core tests, and as a
`[mcp_servers.NAME]` TOML table for the command line and the app. Servers that fail at once are shell one-liners:
starting the Python server costs about a second of CPU, so it is started only where its tools are used."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from toki_tui.core.mcp.config import McpServerConfig

REPO_ROOT = Path(__file__).resolve().parents[2]

EXITS_AT_ONCE = ("sh", ("-c", "echo cannot open the database >&2; echo 'hint: see its log' >&2; exit 1"))
"""A server that fails to start, saying why on its error output, above a last line that does not (as uvx and npx
do)."""
ANSWERS_GARBAGE = ("sh", ("-c", "read line; echo 'this is not json-rpc'; sleep 30"))
"""A server that answers the handshake with a line that is not a protocol message."""


def fake_server_args(*flags: str) -> tuple[str, ...]:
    return ("-m", "tests.fakes.mcp_server", *flags)


def fake_server_config(name: str = "fake", *flags: str, **fields: Any) -> McpServerConfig:
    return McpServerConfig(
        name=name, command=sys.executable, args=fake_server_args(*flags), cwd=str(REPO_ROOT), **fields
    )


def toml_table(name: str, command: str, args: tuple[str, ...], **fields: Any) -> str:
    """A `[mcp_servers.NAME]` table (JSON strings are valid TOML basic strings)."""
    lines = [f"[mcp_servers.{name}]", f"command = {json.dumps(command)}", f"args = {json.dumps(list(args))}"]
    for key, value in fields.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def fake_server_toml(name: str = "fake", *flags: str, **fields: Any) -> str:
    return toml_table(name, sys.executable, fake_server_args(*flags), cwd=str(REPO_ROOT), **fields)
