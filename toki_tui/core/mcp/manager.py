"""McpManager: the configured MCP servers, run on a thread of their own, their states, their tools and calls.

The SDK is asyncio/anyio code with its own tasks per connection; it runs on the manager's thread and event loop,
so neither the TUI's event loop nor `toki ask` waits on it except for a call's result. Every public method is
called from another thread: states and tools are read under a lock, calls return a concurrent Future whose result
is always a text for the call's `tool` message (a failure too), and `on_change` is called on the manager's thread
with each new state (the TUI posts it to its own loop).

Lifecycle of a server: disabled (`enabled = false`, never started) or starting, then ready (its tools listed) or
failed (the reason: it could not start, it exited, it sent something that is not MCP, it timed out starting). A
server that fails is closed and stays failed. A ready server that says its tools changed
(`notifications/tools/list_changed`) has them listed again and named as on start, except that a name already
offered stays with its tool (a newcomer that clashes gets the prefix); `on_change` is called with its
state again. `stop()` closes every connection (each local server's whole process
group goes with it) and waits for the thread, bounded; processes still alive after that are killed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import math
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from toki_tui.core.mcp.config import McpServerConfig
from toki_tui.core.mcp.naming import McpTool, assign_names, object_schema
from toki_tui.core.mcp.reasons import STARTING_WORDS_LINES, describe_failure, garbage_line, last_words
from toki_tui.core.mcp.results import failed_text, result_text, timed_out_text
from toki_tui.core.mcp.states import ServerState

__all__ = ["McpManager", "ServerState"]

STOP_GRACE = 1.0
"""Seconds a server has to exit by itself once its input is closed (as MCP servers do) before toki signals its
process group (SIGTERM, then SIGKILL): quitting toki does not wait on a server that ignores the end of its input.
The SDK would wait 2 s, then signal the group itself."""
STOP_WAIT = 4.0
"""Seconds stop() waits for the connections to close after each signal."""
EXIT_POLL = 0.25
"""Seconds between checks that a local server is still running."""
LAST_OUTPUT_WAIT = 0.25
"""Seconds given to a server's last error output, once it has exited, before saying why it ended."""
STDERR_TAIL = 2000
"""The most of a server's last error output kept, to say why it failed."""


class _Server:
    """One server's connection, on the manager's loop."""

    def __init__(self, config: McpServerConfig) -> None:
        self.config = config
        self.session: Any = None
        self.pids: list[int] = []
        self.refusals: list[int] = []  # a remote server's HTTP error statuses
        self.relisting: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak references to tasks
        self.stderr = bytearray()
        self.ended = asyncio.Event()
        self.problem = ""
        self.run: asyncio.Task[None] | None = None
        self.starting: Any = None
        """The anyio CancelScope of its start (not a native task.cancel(): the SDK shields the spawn from anyio
        cancellation only, and a native cancel there could lose the process)."""


class McpManager:
    def __init__(
        self,
        servers: Mapping[str, McpServerConfig],
        *,
        reserved_names: Iterable[str] = (),
        on_change: Callable[[ServerState], None] | None = None,
    ) -> None:
        self._configs = dict(servers)
        self._reserved = set(reserved_names)
        self._on_change = on_change
        self._lock = threading.Lock()
        self._states = {
            name: ServerState(name, "starting" if config.enabled else "disabled", config.where)
            for name, config in self._configs.items()
        }
        self._tools: dict[str, McpTool] = {}
        self._offered: dict[tuple[str, str], str] = {}  # (server, tool name): the name tools() gave out for it
        self._servers: dict[str, _Server] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._settled = threading.Event()

    # ---- read from any thread ---------------------------------------------------------------------------------

    def states(self) -> list[ServerState]:
        with self._lock:
            return list(self._states.values())

    def tools(self) -> list[McpTool]:
        """The tools of the ready servers, with the names they are offered under (to the model: from here on,
        each keeps its name for the session, whatever a later tool list brings; naming.py)."""
        with self._lock:
            self._offered.update({(tool.server, tool.name): tool.exposed for tool in self._tools.values()})
            return list(self._tools.values())

    def tool(self, exposed: str) -> McpTool | None:
        with self._lock:
            return self._tools.get(exposed)

    def wait_settled(self, timeout: float | None = None) -> bool:
        """Block until no server is starting any more (for the command line); True if so within `timeout`."""
        return self._settled.wait(timeout)

    # ---- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every enabled server in the background; returns at once."""
        from toki_tui.core.mcp.connection import quiet_sdk_logging

        quiet_sdk_logging()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._thread_main, args=(ready,), name="toki-mcp", daemon=True)
        self._thread.start()
        ready.wait()

    def _thread_main(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop, self._stop = loop, asyncio.Event()
        ready.set()
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        assert self._stop is not None
        enabled = [config for config in self._configs.values() if config.enabled]
        if not enabled:
            self._settled.set()
        tasks = [asyncio.create_task(self._run(config)) for config in enabled]
        for config, task in zip(enabled, tasks, strict=True):
            self._servers[config.name] = _Server(config)
            self._servers[config.name].run = task
        await self._stop.wait()
        for server in self._servers.values():
            server.ended.set()
            if server.session is None and server.starting is not None:
                server.starting.cancel()  # still starting: the SDK's shutdown still closes it (and its group)
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        """Close every server and wait for them (bounded); kill the process groups of any still running."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        from toki_tui.core.mcp.connection import stop_group

        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(self._stop_now)
        thread.join(STOP_GRACE)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for server in list(self._servers.values()):
                for pid in server.pids:
                    stop_group(pid, sig)
            thread.join(STOP_WAIT)

    def _stop_now(self) -> None:
        if self._stop is not None:
            self._stop.set()

    # ---- one server -----------------------------------------------------------------------------------------------

    async def _run(self, config: McpServerConfig) -> None:
        import anyio

        from toki_tui.core.mcp.connection import open_session

        server = self._servers[config.name]
        errlog: Any = None
        watchers: list[asyncio.Task[None]] = []
        if config.url is None:  # a local server: its error output and its process are watched
            read_fd, write_fd = os.pipe()
            errlog = os.fdopen(write_fd, "w")
            watchers = [
                asyncio.create_task(self._watch_stderr(server, read_fd)),
                asyncio.create_task(self._watch_process(server)),
            ]
        was_ready = False
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + config.start_timeout) as starting:
                server.starting = starting
                garbage = functools.partial(self._garbage, server)
                relist = functools.partial(self._tools_changed, server)
                async with open_session(config, errlog, server.pids, garbage, server.refusals, relist) as session:
                    listed = await session.list_tools()
                    if errlog is not None:
                        errlog.close()  # the server holds its own copy: its end of file means it has exited
                    starting.deadline = math.inf
                    server.session, was_ready = session, True
                    self._ready(config, listed.tools)
                    await server.ended.wait()
                    server.session = None
            if server.problem:
                self._fail(config, server.problem)
            elif starting.cancelled_caught and not self._stopping():
                self._fail(config, f"did not start within {config.start_timeout:g} s")
        except Exception as error:
            if watchers and server.pids and not server.problem:  # it exited? its last words say why (bounded)
                with contextlib.suppress(OSError):
                    errlog.close()
                await asyncio.wait({watchers[0]}, timeout=LAST_OUTPUT_WAIT)
            # Said to a call waiting on this server too (_ended_during_call), rather than the SDK's bare error.
            server.problem = server.problem or describe_failure(
                error, stderr=server.stderr, refusals=server.refusals, was_ready=was_ready
            )
            server.ended.set()
            self._fail(config, server.problem)
        finally:
            if errlog is not None:
                with contextlib.suppress(OSError):
                    errlog.close()
            for watcher in watchers:
                watcher.cancel()
            self._check_settled()

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def _watch_stderr(self, server: _Server, read_fd: int) -> None:
        """Keep the tail of the server's error output; its end means the server exited."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        with os.fdopen(read_fd, "rb") as pipe:
            transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
            try:
                while chunk := await reader.read(4096):
                    server.stderr = (server.stderr + chunk)[-STDERR_TAIL:]
            finally:
                transport.close()
        self._exited(server)

    def _exited(self, server: _Server) -> None:
        starting = server.session is None
        self._end(server, "exited" + last_words(server.stderr, STARTING_WORDS_LINES if starting else 1))

    def _end(self, server: _Server, problem: str) -> None:
        """Close a server that went wrong, whether it is ready or still starting."""
        if server.ended.is_set() or server.problem or self._stopping():
            return
        if server.session is None and server.starting is not None and server.starting.cancel_called:
            return  # its start was given up (it timed out): its exit now is the SDK closing it, not why it failed
        server.problem = problem
        if server.session is not None:
            server.ended.set()
        elif server.starting is not None:
            server.starting.cancel()  # still starting: nothing else would notice

    async def _watch_process(self, server: _Server) -> None:
        """Notice a local server's exit even when a child it started keeps its output open (no end of file)."""
        while True:
            await asyncio.sleep(EXIT_POLL)
            if server.pids and not _alive(server.pids[0]):
                await asyncio.sleep(LAST_OUTPUT_WAIT)
                self._exited(server)
                return

    def _garbage(self, server: _Server, error: Exception) -> None:
        self._end(server, "sent something that is not an MCP message" + garbage_line(error))

    def _tools_changed(self, server: _Server) -> None:
        """The server said its tool list changed (on the manager's loop): list them again, off the SDK's reader."""
        task = asyncio.get_running_loop().create_task(self._relist(server))
        server.relisting.add(task)
        task.add_done_callback(server.relisting.discard)

    async def _relist(self, server: _Server) -> None:
        session = server.session
        if session is None or server.problem:
            return  # still starting (its first listing comes next) or ended
        import anyio

        try:
            with anyio.fail_after(server.config.timeout):
                listed = await session.list_tools()
        except Exception:  # its tools stay as they were; a server that died is noticed (and said) on its own
            return
        if server.session is session and not server.problem:
            self._ready(server.config, listed.tools)

    def _ready(self, config: McpServerConfig, listed: list[Any]) -> None:
        found = [
            McpTool(config.name, str(tool.name), str(tool.description or ""), object_schema(tool.input_schema))
            for tool in listed
        ]
        with self._lock:
            old = self._states[config.name]
            self._states[config.name] = ServerState(config.name, "ready", old.where)
            others = [tool for tool in self._tools.values() if tool.server != config.name]
            self._name_tools([*others, *found])
            state = self._states[config.name]
        self._changed(state)

    def _name_tools(self, tools: list[McpTool]) -> None:
        """Under the lock: give `tools` their unique names, and the ready servers' states their tools."""
        named = assign_names(tools, self._reserved, self._offered)
        self._tools = {tool.exposed: tool for tool in named}
        for name, state in self._states.items():
            if state.status == "ready":
                self._states[name] = replace(state, tools=tuple(tool for tool in named if tool.server == name))

    def _fail(self, config: McpServerConfig, reason: str) -> None:
        with self._lock:
            self._tools = {name: tool for name, tool in self._tools.items() if tool.server != config.name}
            state = self._states[config.name] = ServerState(config.name, "failed", config.where, (), reason)
        self._changed(state)

    def _changed(self, state: ServerState) -> None:
        self._check_settled()
        if self._on_change is not None and not self._stopping():
            self._on_change(state)

    def _check_settled(self) -> None:
        with self._lock:
            if all(state.status != "starting" for state in self._states.values()):
                self._settled.set()

    # ---- calls ----------------------------------------------------------------------------------------------------

    def call(self, exposed: str, arguments: dict[str, Any]) -> concurrent.futures.Future[str]:
        """Run a tool; the future's result is the text of the call's `tool` message, whatever happens."""
        loop = self._loop
        if loop is None:
            future: concurrent.futures.Future[str] = concurrent.futures.Future()
            future.set_result(failed_text("?", "was never started"))
            return future
        return asyncio.run_coroutine_threadsafe(self._call(exposed, arguments), loop)

    async def _call(self, exposed: str, arguments: dict[str, Any]) -> str:
        tool = self.tool(exposed)
        if tool is None:
            return failed_text(exposed, "offering this tool is not running")
        server = self._servers.get(tool.server)
        if server is None or server.session is None:
            state = self._states.get(tool.server)
            return failed_text(tool.server, state.describe() if state else "is not running")
        import anyio

        timeout = server.config.timeout
        try:
            with anyio.fail_after(timeout):
                result = await server.session.call_tool(tool.name, arguments)
        except TimeoutError:
            if server.pids and not _alive(server.pids[0]):  # it died during the call, before its exit was noticed
                await asyncio.sleep(LAST_OUTPUT_WAIT)
                self._exited(server)
                return await self._ended_during_call(server) or timed_out_text(timeout)
            return timed_out_text(timeout)
        except Exception as error:
            return await self._ended_during_call(server) or failed_text(tool.server, f"answered with an error: {error}")
        if server.relisting:  # the call changed the server's tools (it said so first): the next request has them
            await asyncio.wait(set(server.relisting), timeout=timeout)
        return result_text(result.content, is_error=bool(result.is_error), structured=result.structured_content)

    async def _ended_during_call(self, server: _Server) -> str | None:
        """The `tool` message for a call whose server stopped under it, or None if it is still running."""
        with contextlib.suppress(TimeoutError):  # a crash: its end of output follows the closed connection
            await asyncio.wait_for(server.ended.wait(), 2.0)
        if not (server.ended.is_set() or server.problem):
            return None
        if server.run is not None:  # its state says failed before the call's result is given
            await asyncio.wait({server.run}, timeout=STOP_WAIT)
        return failed_text(server.config.name, (server.problem or "stopped") + " during the call")

    def with_reserved(self, names: Iterable[str]) -> None:
        """Names the MCP tools must not take (the local tools'): renames the tools already listed."""
        reserved = set(names)
        with self._lock:
            if reserved != self._reserved:
                self._reserved = reserved
                self._name_tools(list(self._tools.values()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
