"""Failures of MCP servers arriving close together are one notification naming each server, why, and the config
table to fix; the first failure is not held back longer than the gathering moment."""

from __future__ import annotations

from collections.abc import Callable

from toki_tui.core.mcp.manager import ServerState
from toki_tui.ui.mcp_notices import GATHER_SECONDS, FailureGatherer, failures_notice


def _failed(name: str, reason: str) -> ServerState:
    return ServerState(name, "failed", f"{name}-cmd", reason=reason)


def test_failures_close_together_are_one_notice_naming_each_server() -> None:
    timers: list[tuple[float, Callable[[], None]]] = []
    shown: list[str] = []
    gatherer = FailureGatherer(lambda delay, then: timers.append((delay, then)), shown.append)
    gatherer.add(_failed("gone", "could not be started: /x: No such file or directory"))
    gatherer.add(_failed("broken", "exited (cannot open the database)"))
    gatherer.add(_failed("hung", "did not start within 10 s"))
    assert [delay for delay, _ in timers] == [GATHER_SECONDS] and GATHER_SECONDS <= 0.5 and shown == []
    timers[0][1]()
    assert shown == [
        "3 MCP servers failed; their tools are not offered until toki starts again:\n"
        "• gone failed: could not be started: /x: No such file or directory ([mcp_servers.gone])\n"
        "• broken failed: exited (cannot open the database) ([mcp_servers.broken])\n"
        "• hung failed: did not start within 10 s ([mcp_servers.hung])\n"
        "Check those tables in the config, or set enabled = false in them."
    ]
    # A later failure is a notice of its own, worded as one server's.
    gatherer.add(_failed("late", "exited"))
    assert len(timers) == 2
    timers[1][1]()
    assert shown[1] == failures_notice([_failed("late", "exited")])
    assert shown[1] == (
        "MCP server late failed: exited. Its tools are not offered until toki starts again: check "
        "[mcp_servers.late] in the config, or set enabled = false there."
    )
