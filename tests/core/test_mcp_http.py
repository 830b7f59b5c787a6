"""A remote MCP server over streamable HTTP (the test MCP server on 127.0.0.1): its header's value comes from an
environment variable and is never shown; without it the server refuses (401), and the server is failed. A server
that goes away once ready is said to have lost its connection, not to have failed to start."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.mcp_config import REPO_ROOT
from toki_tui.core.mcp.config import parse_mcp_servers
from toki_tui.core.mcp.manager import McpManager

TOKEN = "mcp-test-token-0123456789"


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.mcp_server", "--http", str(port_file), TOKEN],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text()):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port_file.read_text()}/mcp", process
    finally:
        process.kill()
        process.wait()


def test_a_remote_server_gets_its_header_and_a_missing_one_fails(
    http_server: tuple[str, subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, process = http_server
    monkeypatch.setenv("MCP_TEST_TOKEN", TOKEN)
    header = {"Authorization": {"env": "MCP_TEST_TOKEN", "prefix": "Bearer "}}
    servers, problems = parse_mcp_servers({"remote": {"url": url, "headers": header}, "refused": {"url": url}})
    assert problems == []
    manager = McpManager(servers)
    manager.start()
    try:
        assert manager.wait_settled(30)
        states = {state.name: state for state in manager.states()}
        assert states["remote"].describe() == "ready, 8 tools"
        assert (
            states["refused"].describe()
            == "failed: failed to start: the server answered HTTP 401 (check its url and headers)"
        )
        assert all(TOKEN not in state.describe() + state.where for state in states.values())
        assert manager.call("echo", {"text": "over http"}).result(10) == "echo: over http"
        process.kill()
        process.wait()
        answer = manager.call("echo", {"text": "gone"}).result(10)
        assert answer.startswith("The tool could not be run: the MCP server 'remote' lost its connection: ")
        assert manager.wait_settled(10)
        [remote] = [state for state in manager.states() if state.name == "remote"]
        assert remote.describe().startswith("failed: lost its connection: ")
    finally:
        manager.stop()
