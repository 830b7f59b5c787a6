"""One MCP server's connection through the official SDK: start it (a local command or a URL), hand the session
over, and stop it with everything it started. The only module that imports the SDK, when a server starts.

A local server runs in a process group of its own (the SDK starts it with a new session). When the connection
closes, the SDK closes its stdin and, if it does not exit, kills the group; a server that does exit at once can
leave children behind in its group, so the group is killed here as well (`stop_group`). To know the group, the
SDK's spawn function is wrapped (`_recording_spawn`; tests/core/test_mcp_connection.py guards it) to record the
process id of each server started from the current task.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from toki_tui.core.errors import ConfigError
from toki_tui.core.mcp.config import McpServerConfig

_spawned: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("toki_mcp_spawned", default=None)
_wrapped = False


def quiet_sdk_logging() -> None:
    """The SDK logs transport trouble with `logging`; Python would print it on stderr, over the TUI. toki reports
    a server's trouble itself (its state and one notification)."""
    logger = logging.getLogger("mcp")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _recording_spawn() -> None:
    """Wrap the SDK's process spawn (once) so each spawned server's pid lands in the calling task's list."""
    global _wrapped
    if _wrapped:
        return
    from mcp.client import stdio

    original: Callable[..., Any] = stdio._create_platform_compatible_process

    async def spawn(*args: Any, **kwargs: Any) -> Any:
        import anyio

        # Shielded: a stop arriving while the process starts must not lose it (and its pid) on the way back.
        with anyio.CancelScope(shield=True):
            process = await original(*args, **kwargs)
        pids = _spawned.get()
        if pids is not None:
            pids.append(int(process.pid))
        return process

    stdio._create_platform_compatible_process = spawn
    _wrapped = True


def stop_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group a server led (its pid is the group's id), so nothing it started outlives it."""
    if os.name != "posix":
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop_groups(pids: list[int]) -> None:
    for pid in pids:
        stop_group(pid)


def resolve_headers(server: McpServerConfig) -> dict[str, str]:
    """The headers of a remote server with their values read (environment variable or key command). Raises
    ConfigError naming the header and the source, never the value."""
    from toki_tui.core.config.endpoints import run_key_command

    headers: dict[str, str] = {}
    for name, source in server.headers.items():
        if source.value is not None:
            headers[name] = source.value
            continue
        if source.env is not None:
            value = os.environ.get(source.env)
            if not value:
                raise ConfigError(f"its header {name} comes from {source.env}, which is not set")
        else:
            try:
                value = run_key_command(source.cmd or "")
            except ConfigError as error:
                raise ConfigError(f"the command for its header {name} {error}") from None
        headers[name] = source.prefix + value
    return headers


@contextlib.asynccontextmanager
async def open_session(
    server: McpServerConfig,
    errlog: Any,
    pids: list[int],
    on_garbage: Callable[[Exception], None],
    refusals: list[int] | None = None,
    on_tools_changed: Callable[[], None] | None = None,
) -> AsyncIterator[Any]:
    """An initialized `mcp.ClientSession` for `server`; a local server writes its stderr to `errlog` (a file with a
    descriptor; None: toki's own stderr) and its pid into `pids`; a remote one's HTTP error statuses go into
    `refusals` (the SDK's own error names none). A line that is not a protocol message calls `on_garbage`; the
    server's `notifications/tools/list_changed` calls `on_tools_changed`."""
    from mcp import ClientSession, types

    async def handle(message: Any) -> None:
        if isinstance(message, Exception):
            on_garbage(message)
        elif isinstance(message, types.ToolListChangedNotification) and on_tools_changed is not None:
            on_tools_changed()

    async with contextlib.AsyncExitStack() as stack:
        if server.url is not None:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            client = create_mcp_http_client(headers=resolve_headers(server))

            async def note_refusal(response: Any) -> None:
                if response.status_code >= 400 and refusals is not None:
                    refusals.append(response.status_code)

            client.event_hooks["response"].append(note_refusal)
            await stack.enter_async_context(client)
            streams = await stack.enter_async_context(streamable_http_client(server.url, http_client=client))
        else:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            _recording_spawn()
            parameters = StdioServerParameters(
                command=server.command or "", args=list(server.args), env=dict(server.env) or None, cwd=server.cwd
            )
            # Runs after the SDK's own shutdown (stdin closed, then the group killed if the server lingers).
            stack.callback(_stop_groups, pids)
            token = _spawned.set(pids)
            try:
                streams = await stack.enter_async_context(stdio_client(parameters, errlog=errlog or sys.stderr))
            finally:
                _spawned.reset(token)
        read, write = streams[0], streams[1]
        session = await stack.enter_async_context(ClientSession(read, write, message_handler=handle))
        await session.initialize()
        yield session
