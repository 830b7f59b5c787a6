"""What the app says and shows when an MCP server's state changes: one notification for the failures that arrive
close together (several servers failing at start-up are one notice naming each, not a stack of toasts), a notice
naming the tools that came and went when a running server's tool list changes, and the `/mcp` and `/tools` dialogs
shown again with the new states."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toki_tui.core.mcp.manager import ServerState
    from toki_tui.ui.app import TokiApp

GATHER_SECONDS = 0.4
"""How long after a failure others are waited for to join its notification: the first is shown no later."""
NOTICE_SECONDS = 10.0


def failures_notice(failed: Sequence[ServerState]) -> str:
    """One notification's text for these failed servers: each named with why, and the config table to fix."""
    if len(failed) == 1:
        state = failed[0]
        notice = f"MCP server {state.name} {state.describe()}. Its tools are not offered until toki starts again: "
        return notice + state.advice + "."
    lines = [f"{len(failed)} MCP servers failed; their tools are not offered until toki starts again:"]
    lines += [f"• {state.name} {state.describe()} ([mcp_servers.{state.name}])" for state in failed]
    lines.append("Check those tables in the config, or set enabled = false in them.")
    return "\n".join(lines)


class FailureGatherer:
    """Failures added within GATHER_SECONDS of the first of a batch are shown as one notice (`show`); `schedule`
    runs a function after a delay (the app's `set_timer`)."""

    def __init__(self, schedule: Callable[[float, Callable[[], None]], object], show: Callable[[str], None]) -> None:
        self._schedule, self._show = schedule, show
        self._pending: list[ServerState] = []

    def add(self, state: ServerState) -> None:
        if not self._pending:
            self._schedule(GATHER_SECONDS, self._flush)
        self._pending = [*(old for old in self._pending if old.name != state.name), state]

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            self._show(failures_notice(pending))


class McpNotices:
    """Called on the app's loop with each new state of an MCP server."""

    def __init__(self, app: TokiApp) -> None:
        self._app = app
        self._offered: dict[str, list[str]] = {}
        """The tools each ready server offered when last told: a change while it runs is named."""
        self._failures = FailureGatherer(
            lambda delay, then: app.set_timer(delay, then),
            lambda text: app.notify(text, title="MCP", severity="error", timeout=NOTICE_SECONDS),
        )

    def changed(self, state: ServerState) -> None:
        from toki_tui.ui.screens.mcp_dialogs import McpServersScreen, McpToolsScreen

        if state.status == "failed":
            self._failures.add(state)
        elif state.status == "ready":
            self._tools_changed(state)
        manager, screen = self._app.mcp, self._app.screen
        if manager is not None and isinstance(screen, McpServersScreen | McpToolsScreen):
            screen.show_states(manager.states())

    def _tools_changed(self, state: ServerState) -> None:
        """A ready server listed its tools again (it said they changed): name what came and went."""
        offered = [tool.exposed for tool in state.tools]
        before, self._offered[state.name] = self._offered.get(state.name), offered
        if before is None or set(before) == set(offered):
            return
        added = [name for name in offered if name not in before]
        removed = [name for name in before if name not in offered]
        changes = [f"{label}: {', '.join(names)}" for label, names in (("new", added), ("gone", removed)) if names]
        self._app.notify(
            f"MCP server {state.name} changed its tools ({'; '.join(changes)}), from the next message.", title="MCP"
        )
