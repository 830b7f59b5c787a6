"""MCP from the command line (the test MCP server is started by one test only; the others use servers that fail
at once): `toki mcp list [--json]`, `toki ask --mcp [--yes]`, SIGTERM leaving no server
behind, and plain `toki ask` / `toki --help` never importing the SDK."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.conftest import TEST_API_KEY, IsolatedDirs
from tests.core.test_mcp_manager import wait_gone
from tests.fakes.mcp_config import EXITS_AT_ONCE, fake_server_toml, toml_table
from tests.fakes.server import FakeServer, stream_text
from tests.fakes.streams import stream_tool_calls
from tests.hostile import HOSTILE, HOSTILE_TEXT, assert_inert
from toki_tui.cli import main, mcp_command
from toki_tui.cli.config_command import run_config_command
from toki_tui.cli.mcp_command import print_states, run_mcp_command, running_servers
from toki_tui.core.config.config_file import Config
from toki_tui.core.mcp.config import McpServerConfig
from toki_tui.core.mcp.manager import McpManager, ServerState
from toki_tui.core.mcp.naming import McpTool


def _configure(env: dict[str, str], *tables: str) -> None:
    (Path(env["TOKI_CONFIG_DIR"]) / "config.toml").write_text("\n".join(tables), encoding="utf-8")


def test_mcp_list_shows_each_server_with_its_state(
    fake_server: FakeServer, toki_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = run_toki(["mcp", "list"], toki_env)
    assert empty.returncode == 2 and "no MCP servers are configured" in empty.stderr
    _configure(
        toki_env,
        toml_table("broken", EXITS_AT_ONCE[0], EXITS_AT_ONCE[1]),
        toml_table("spare", "never-started", (), enabled=False),
        toml_table("gone", "/nonexistent/server", ("--x",)),
    )
    result = run_toki(["mcp", "list"], toki_env)
    assert result.returncode == 1, result.stderr  # a server failed: scripts see it in the status too
    lines = result.stdout.splitlines()
    assert lines[0].startswith("broken  failed: ") and "cannot open the database" in lines[0]
    assert lines[1:] == [
        "spare  disabled (enabled = false in the config)  (never-started)",
        "gone  failed: could not be started: /nonexistent/server: No such file or directory  (/nonexistent/server --x)",
    ]
    monkeypatch.setenv("TOKI_CONFIG_DIR", toki_env["TOKI_CONFIG_DIR"])  # --json in this process: no SDK start-up
    out = io.StringIO()
    assert run_mcp_command(argparse.Namespace(action="list", json=True), out) == 1
    assert json.loads(out.getvalue())[2] == {
        "name": "gone",
        "status": "failed",
        "where": "/nonexistent/server --x",
        "reason": "could not be started: /nonexistent/server: No such file or directory",
        "tools": [],
    }


def test_mcp_list_exits_0_when_no_server_failed(toki_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    _configure(toki_env, toml_table("spare", "never-started", (), enabled=False))
    monkeypatch.setenv("TOKI_CONFIG_DIR", toki_env["TOKI_CONFIG_DIR"])
    out = io.StringIO()
    assert run_mcp_command(argparse.Namespace(action="list", json=False), out) == 0
    assert out.getvalue() == "spare  disabled (enabled = false in the config)  (never-started)\n"


def test_listed_tools_are_shown_inert() -> None:
    tool = McpTool("fake", HOSTILE, HOSTILE_TEXT, {"type": "object"}, exposed="evil")
    out = io.StringIO()
    print_states([ServerState("fake", "ready", HOSTILE, (tool,))], out)
    first, second = out.getvalue().splitlines()
    assert first.startswith("fake  ready, 1 tool  (hostile ") and second.startswith("  evil  hostile ")
    assert_inert(out.getvalue())


FORGING_ID = "c1\r\ntoki: forged"


def test_ask_mcp_yes_runs_the_call_and_the_model_goes_on(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    _configure(toki_env, fake_server_toml("fake"))
    fake_server.script(
        stream_tool_calls(
            [
                {"id": FORGING_ID, "name": "echo", "arguments": '{"text": "hi"}'},
                {"id": "c2", "name": "grow", "arguments": "{}"},
            ]
        ),
        stream_text("The server said hi."),
    )
    result = run_toki(["ask", "--mcp", "--yes", "say hi through the tool"], toki_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The server said hi."
    # The call's id is the model's: a line break in it must not forge a line of toki's own.
    assert "running echo (MCP server fake) for call c1 toki: forged" in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith("toki: forged")]
    first, second = (request.json() for request in fake_server.chat_requests())
    [echo] = [tool for tool in first["tools"] if tool["function"]["name"] == "echo"]
    assert echo["function"]["parameters"]["properties"]["text"]["type"] == "string"
    assert second["messages"][-2:] == [
        {"role": "tool", "tool_call_id": FORGING_ID, "content": "echo: hi"},
        {"role": "tool", "tool_call_id": "c2", "content": "grew a tool"},
    ]
    # grow added a tool and said so (notifications/tools/list_changed): the request after it offers it.
    assert "grown" not in {tool["function"]["name"] for tool in first["tools"]}
    assert "grown" in {tool["function"]["name"] for tool in second["tools"]}
    with sqlite3.connect(Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3") as connection:
        rows = connection.execute("SELECT role, content FROM messages ORDER BY id").fetchall()
    assert [role for role, _ in rows] == ["user", "assistant", "tool", "tool", "assistant"]
    assert rows[2][1] == "echo: hi"


def test_ask_mcp_without_yes_prints_the_call_and_stops(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    _configure(toki_env, toml_table("gone", "/nonexistent/server", ()))
    fake_server.script(stream_tool_calls([{"id": "c1", "name": "echo", "arguments": "{}"}]))
    result = run_toki(["ask", "--mcp", "use the tool"], toki_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tool_calls"][0]["id"] == "c1"
    assert (
        "MCP server gone: failed: could not be started: /nonexistent/server: No such file or directory; going on "
        "without its tools (check [mcp_servers.gone] in the config, or set enabled = false there)"
    ) in result.stderr
    assert "run again with --yes" in result.stderr
    assert len(fake_server.chat_requests()) == 1
    refused = run_toki(["ask", "--yes", "hi"], toki_env)
    assert refused.returncode == 2 and "use it with --mcp" in refused.stderr


def test_sigterm_stops_the_servers_and_what_they_started(tmp_path: Path) -> None:
    """In this process: SIGTERM while `toki mcp list` (or `toki ask --mcp`) waits on its servers."""
    pids = tmp_path / "pids"
    # A server that starts a child, records both pids, and never answers: the command waits on it.
    script = f"sleep 300 & echo $$ $! > {pids}; wait"
    config = Config(mcp_servers={"stuck": McpServerConfig(name="stuck", command="sh", args=("-c", script))})

    def terminate_once_started() -> None:
        deadline = time.monotonic() + 20
        while not (pids.exists() and len(pids.read_text().split()) == 2) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_once_started, daemon=True).start()
    with pytest.raises(SystemExit) as exited, running_servers(config):
        pass
    assert exited.value.code == 143
    server_pid, child_pid = (int(pid) for pid in pids.read_text().split())
    assert wait_gone(server_pid, 5) and wait_gone(child_pid, 5)


def test_help_and_plain_ask_never_import_the_mcp_sdk(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    _configure(toki_env, toml_table("configured", "never-started", ()))  # configured, but --mcp is not given
    fake_server.script(stream_text("ok"))
    code = (
        "import contextlib, io, sys\n"
        "from toki_tui.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "status = main(['ask', 'hi'])\n"
        "sys.stderr.write('LOADED=' + ','.join(m for m in ('mcp', 'httpx2') if m in sys.modules))\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=toki_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("LOADED=")


def test_config_show_names_the_servers_never_their_headers(
    isolated_dirs: IsolatedDirs, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "Bearer s3cret-header-value"
    (isolated_dirs.config_dir / "config.toml").write_text(
        '[mcp_servers.files]\ncommand = "uvx"\n\n[mcp_servers.search]\nurl = "https://mcp.example.com/mcp"\n'
        f'enabled = false\nheaders = {{ Authorization = "{secret}" }}\n',
        encoding="utf-8",
    )
    assert run_config_command(argparse.Namespace(action="show")) == 0
    shown = capsys.readouterr()
    assert "MCP servers:   files, search (disabled) (toki mcp list: their state)\n" in shown.out
    assert secret not in shown.out + shown.err


def test_ask_mcp_without_servers_is_a_usage_error(
    fake_server: FakeServer,
    isolated_dirs: IsolatedDirs,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TOKI_BASE_URL", fake_server.base_url)
    monkeypatch.setenv("TOKI_API_KEY", TEST_API_KEY)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["ask", "--mcp", "hi"]) == 2
    assert "no MCP servers are configured: add [mcp_servers.NAME] tables to" in capsys.readouterr().err
    assert fake_server.chat_requests() == []


def test_ctrl_c_while_the_servers_stop_waits_until_they_have(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In this process: a Ctrl+C on the way out (an impatient user after `toki ask --mcp` answered, or after Ctrl+Q)
    takes effect once the servers are stopped, not in the middle, where it left what they started running. While
    the command waits on a server, it says which (here at once; two seconds in, by default)."""
    monkeypatch.setattr(mcp_command, "WAITING_NOTE_AFTER", 0.0)
    pids = tmp_path / "pids"
    script = f"sleep 300 & echo $$ $! > {pids}; wait"  # a server that starts a child and never answers
    config = Config(mcp_servers={"stuck": McpServerConfig(name="stuck", command="sh", args=("-c", script))})
    stop = McpManager.stop

    def interrupted_stop(manager: McpManager) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C again, as the servers begin to stop
        stop(manager)

    monkeypatch.setattr(McpManager, "stop", interrupted_stop)

    def interrupt_once_started() -> None:
        deadline = time.monotonic() + 20
        while not (pids.exists() and len(pids.read_text().split()) == 2) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt), running_servers(config):
        pass
    server_pid, child_pid = (int(pid) for pid in pids.read_text().split())
    assert wait_gone(server_pid, 5) and wait_gone(child_pid, 5)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "toki: waiting for MCP server stuck to start (at most 30 s)" in capsys.readouterr().err
