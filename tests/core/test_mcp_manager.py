"""McpManager against real servers: the test MCP server (started once for the module, with a child process of its
own), one that exits at once, one that answers garbage, one that never answers and one that does not exist."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.mcp_config import ANSWERS_GARBAGE, EXITS_AT_ONCE, fake_server_config
from tests.fakes.mcp_server import HOSTILE_TOOL_NAME
from toki_tui.core.mcp import manager as manager_module
from toki_tui.core.mcp.config import McpServerConfig
from toki_tui.core.mcp.manager import McpManager, ServerState


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[McpManager, list[ServerState], Path]]:
    child_file = tmp_path_factory.mktemp("mcp") / "child.pid"
    changes: list[ServerState] = []
    servers = {
        "fake": fake_server_config("fake", "--child", str(child_file), timeout=1.0),
        "broken": McpServerConfig(name="broken", command=EXITS_AT_ONCE[0], args=EXITS_AT_ONCE[1]),
        "noise": McpServerConfig(name="noise", command=ANSWERS_GARBAGE[0], args=ANSWERS_GARBAGE[1]),
        "missing": McpServerConfig(name="missing", command="/nonexistent/mcp-server"),
        "hung": McpServerConfig(name="hung", command="sh", args=("-c", "sleep 30"), start_timeout=0.5),
    }
    manager = McpManager(servers, reserved_names=["big"], on_change=changes.append)
    manager.start()
    try:
        assert manager.wait_settled(30)
        yield manager, changes, child_file
    finally:
        manager.stop()


def test_each_server_ends_ready_or_failed_with_the_reason_once(
    running: tuple[McpManager, list[ServerState], Path],
) -> None:
    manager, changes, _ = running
    states = {state.name: state for state in manager.states()}
    assert states["fake"].status == "ready" and states["fake"].describe() == "ready, 8 tools"
    assert (
        states["missing"].describe()
        == "failed: could not be started: /nonexistent/mcp-server: No such file or directory"
    )
    assert states["broken"].describe() == "failed: exited (cannot open the database / hint: see its log)"
    assert states["noise"].describe() == 'failed: sent something that is not an MCP message ("this is not json-rpc")'
    # Killed by the SDK once its start was given up: it did not start, it did not "exit".
    assert states["hung"].describe() == "failed: did not start within 0.5 s"
    first = [(state.name, state.status) for state in changes if state.name != "fake"]
    assert sorted(first) == [("broken", "failed"), ("hung", "failed"), ("missing", "failed"), ("noise", "failed")]


def test_tools_are_offered_with_unique_valid_names_and_schemas(
    running: tuple[McpManager, list[ServerState], Path],
) -> None:
    manager, _, _ = running
    tools = {tool.exposed: tool for tool in manager.tools()}
    assert set(tools) >= {"echo", "picture", "fail", "slow", "crash", "fake__big"}  # "big" is a local tool's name
    echo = tools["echo"].definition()["function"]
    assert echo["description"] == "Echo the text back."
    assert echo["parameters"]["properties"]["text"]["type"] == "string"
    [hostile] = [tool for tool in tools.values() if tool.name == HOSTILE_TOOL_NAME]
    assert hostile.exposed == "evil_____52_c_cHduZWQ__name"


def test_a_server_whose_tools_change_while_running_has_them_listed_again(
    running: tuple[McpManager, list[ServerState], Path],
) -> None:
    """`grow` adds a tool and sends notifications/tools/list_changed: the new tool is offered (named as on start)
    and callable, and on_change tells the TUI the server's new state, without a restart."""
    manager, changes, _ = running
    before = len(changes)
    assert manager.call("grow", {}).result(10) == "grew a tool"
    deadline = time.monotonic() + 10
    while manager.tool("grown") is None:
        assert time.monotonic() < deadline, "the new tool was never listed"
        time.sleep(0.02)
    assert [state.describe() for state in manager.states() if state.name == "fake"] == ["ready, 9 tools"]
    assert "fake__big" in {tool.exposed for tool in manager.tools()}  # still named around the local tool's name
    assert [(state.name, len(state.tools)) for state in changes[before:]] == [("fake", 9)]
    assert manager.call("grown", {}).result(10) == "grown"


def test_a_call_given_up_by_its_caller_is_cancelled_on_the_server(tmp_path: Path) -> None:
    """Esc in the chat cancels the call's future: the server is told (notifications/cancelled) and stops the tool
    at once, rather than running it on until the call's timeout (a minute here), and goes on answering."""
    manager = McpManager({"fake": fake_server_config("fake", timeout=60.0)})
    manager.start()
    try:
        assert manager.wait_settled(30)
        marker = str(tmp_path / "slow")
        call = manager.call("slow", {"seconds": 30, "marker": marker})
        wait_for_file(Path(marker + ".started"))
        assert call.cancel()
        wait_for_file(Path(marker + ".cancelled"))
        assert manager.call("echo", {"text": "still there"}).result(10) == "echo: still there"
    finally:
        manager.stop()


def wait_for_file(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_calls_give_the_text_of_the_tool_message_whatever_happens(
    running: tuple[McpManager, list[ServerState], Path],
) -> None:
    manager, changes, child_file = running
    assert manager.call("echo", {"text": "hi"}).result(10) == "echo: hi"
    assert manager.call("picture", {}).result(10) == "a caption\n[image: image/png, 32 bytes]"
    assert manager.call("fail", {}).result(10) == (
        "The tool reported an error:\nError executing tool fail: the disk is on fire"
    )
    assert manager.call("slow", {"seconds": 30}).result(10) == (
        "The tool did not answer within 1 s; the call was given up."
    )
    cut = manager.call("fake__big", {"size": 150_000}).result(10)
    assert cut.endswith("[result cut at 100000 characters of 150000]")
    assert manager.call("echo", {"text": json.dumps({"still": "answering"})}).result(10).startswith("echo: ")
    # The server dies in the middle of a call: the call says so, the server is failed, its tools are withdrawn,
    # and nothing it started is left running.
    server_pid = manager._servers["fake"].pids[0]
    child_pid = int(child_file.read_text())
    assert manager.call("crash", {}).result(10) == (
        "The tool could not be run: the MCP server 'fake' exited (crashing now) during the call."
    )
    assert [state.describe() for state in manager.states() if state.name == "fake"] == ["failed: exited (crashing now)"]
    assert changes[-1].name == "fake" and changes[-1].status == "failed"
    assert manager.tools() == []
    assert wait_gone(server_pid) and wait_gone(child_pid)
    assert manager.call("echo", {"text": "x"}).result(10).startswith("The tool could not be run")


def test_a_server_that_dies_before_its_exit_is_noticed_is_reported_as_dead_not_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call's timeout ends first (exit checks are far apart here, and a child keeps the server's output open):
    the call still says the server exited, with its last words, rather than that the tool was slow."""
    monkeypatch.setattr(manager_module, "EXIT_POLL", 60.0)
    servers = {"fake": fake_server_config("fake", "--child", str(tmp_path / "child.pid"), timeout=1.0)}
    manager = McpManager(servers)
    manager.start()
    try:
        assert manager.wait_settled(30)
        assert manager.call("crash", {}).result(10) == (
            "The tool could not be run: the MCP server 'fake' exited (crashing now) during the call."
        )
        assert [state.describe() for state in manager.states()] == ["failed: exited (crashing now)"]
    finally:
        manager.stop()
    assert wait_gone(int((tmp_path / "child.pid").read_text()))


def test_stop_leaves_no_process_behind(tmp_path: Path) -> None:
    """A server that exits by itself once its input closes (as MCP servers do) leaves the SDK nothing to kill;
    what it started goes with its process group all the same."""
    pids = tmp_path / "pids"
    script = f"sleep 300 & echo $$ $! > {pids}; read line; read line"
    manager = McpManager({"quiet": McpServerConfig(name="quiet", command="sh", args=("-c", script))})
    manager.start()
    deadline = time.monotonic() + 10
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    server_pid, child_pid = (int(pid) for pid in pids.read_text().split())
    assert [state.status for state in manager.states()] == ["starting"]
    manager.stop()
    assert wait_gone(server_pid, 2) and wait_gone(child_pid, 2)
    assert os.getpgid(0) != server_pid  # the server led a group of its own, which went with it


def test_the_private_spawn_hook_is_still_there() -> None:
    """connection._recording_spawn wraps this SDK function to learn each server's process group."""
    from mcp.client import stdio

    assert callable(stdio._create_platform_compatible_process)
