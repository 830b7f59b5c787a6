"""`toki mcp list [--json]`, and the MCP servers of one command-line run (`toki ask --mcp`).

Names, descriptions and reasons come from the servers: the table goes through `displayable()`, the JSON is ASCII
with every control character escaped. SIGTERM during a run stops the servers (with their process groups) before
toki exits, as Ctrl+C does; one arriving while they stop waits until they have (held_signals.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from toki_tui.cli.common import UsageError, exit_code_for, load_settings, report
from toki_tui.cli.held_signals import signals_held
from toki_tui.core.config import paths
from toki_tui.core.errors import TokiError
from toki_tui.core.text import displayable_line

if TYPE_CHECKING:
    from toki_tui.core.config.config_file import Config
    from toki_tui.core.mcp.manager import McpManager, ServerState

SETTLE_MARGIN = 5.0
"""Seconds waited past the longest `start_timeout` for every server to be ready or failed."""
WAITING_NOTE_AFTER = 2.0
"""Seconds after which a run still waiting on its servers says which ones (a server that hangs keeps toki quiet
for its whole `start_timeout` otherwise)."""


@contextlib.contextmanager
def running_servers(config: Config, reserved_names: list[str] | None = None) -> Iterator[McpManager]:
    """The config's MCP servers, started and settled (ready or failed); stopped on the way out, SIGTERM included."""
    from toki_tui.core.mcp.manager import McpManager

    if not config.mcp_servers:
        where = config.source or paths.config_file()
        raise UsageError(f"no MCP servers are configured: add [mcp_servers.NAME] tables to {where}")
    manager = McpManager(config.mcp_servers, reserved_names=reserved_names or ())
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        manager.start()
        longest = max(server.start_timeout for server in config.mcp_servers.values())
        if not manager.wait_settled(WAITING_NOTE_AFTER):
            starting = [state.name for state in manager.states() if state.status == "starting"]
            servers = "server " if len(starting) == 1 else "servers "
            report(f"waiting for MCP {servers}{displayable_line(', '.join(starting))} to start (at most {longest:g} s)")
        manager.wait_settled(longest + SETTLE_MARGIN)
        yield manager
    finally:
        try:
            with signals_held():  # a Ctrl+C now would leave the servers' process groups running
                manager.stop()
        finally:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(number: int, frame: object) -> None:
    raise SystemExit(128 + number)


def run_mcp_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    try:
        config, _ = load_settings(args)
        with running_servers(config) as manager:
            states = manager.states()
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    if args.json:
        out.write(json.dumps([_state_record(state) for state in states], indent=2) + "\n")
    else:
        print_states(states, out)
    # A script checking its servers learns of a failure from the exit status too (disabled ones are not failures).
    return 1 if any(state.status == "failed" for state in states) else 0


def print_states(states: list[ServerState], out: TextIO) -> None:
    for state in states:
        out.write(
            f"{displayable_line(state.name)}  {displayable_line(state.describe())}  ({displayable_line(state.where)})\n"
        )
        for tool in state.tools:
            summary = tool.description.strip().splitlines()[0] if tool.description.strip() else ""
            out.write(f"  {displayable_line(tool.exposed)}  {displayable_line(summary)[:100]}\n")


def _state_record(state: ServerState) -> dict[str, Any]:
    return {
        "name": state.name,
        "status": state.status,
        "where": state.where,
        "reason": state.reason or None,
        "tools": [
            {"name": tool.exposed, "server_name": tool.name, "description": tool.description, "parameters": tool.schema}
            for tool in state.tools
        ],
    }


def report_failures(states: list[ServerState]) -> None:
    """One line on stderr for each server that is not ready (`toki ask --mcp` goes on without its tools)."""
    for state in states:
        if state.status == "failed":
            report(f"MCP server {state.name}: {state.describe()}; going on without its tools ({state.advice})")


__all__ = ["print_states", "report_failures", "run_mcp_command", "running_servers"]
