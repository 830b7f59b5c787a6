"""SIGTERM and SIGHUP to the full-screen chat, under a real pty: the terminal is put back (the alternate screen
left, the cursor shown, mouse tracking off), the reply arriving is kept as "stopped" with its partial text, and
the exit status is 128 + the signal's number."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.pty_support import FIRST_FRAME, assert_restored, toki_on_pty
from tests.fakes.server import FakeServer, stream_text

QUIT_SIGNALS = [signal.SIGTERM, signal.SIGHUP]


def pty_env(toki_env: dict[str, str]) -> dict[str, str]:
    return {**toki_env, "TERM": "xterm-256color"}


def last_reply(database: Path) -> tuple[str, str] | None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT status, content FROM messages WHERE role = 'assistant' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


@pytest.mark.parametrize("quit_signal", QUIT_SIGNALS, ids=lambda number: signal.Signals(number).name)
def test_a_quit_signal_restores_the_terminal_and_exits(
    quit_signal: int, fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    with toki_on_pty([], pty_env(toki_env)) as app:
        app.wait_for(FIRST_FRAME)
        app.output.clear()
        os.kill(app.pid, quit_signal)
        assert app.wait_exit() == 128 + quit_signal
    assert_restored(bytes(app.output))


@pytest.mark.parametrize("quit_signal", QUIT_SIGNALS, ids=lambda number: signal.Signals(number).name)
def test_a_quit_signal_mid_reply_keeps_it_as_stopped(
    quit_signal: int, fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    tokens = [f"tok{n} " for n in range(2000)]
    fake_server.script(stream_text(tokens, chunk_delay=0.01))
    database = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    with toki_on_pty([], pty_env(toki_env)) as app:
        app.wait_for(FIRST_FRAME)
        app.type("tell me a long story\r")
        app.wait_for(b"tok5 ")  # the reply is on screen, still arriving
        app.output.clear()
        os.kill(app.pid, quit_signal)
        assert app.wait_exit() == 128 + quit_signal
    assert_restored(bytes(app.output))
    reply = last_reply(database)
    assert reply is not None
    status, content = reply
    assert status == "stopped"
    assert content.startswith("tok0 tok1 tok2 tok3 tok4 tok5 ")
    assert len(content) < len("".join(tokens))


def test_sigterm_stops_the_mcp_servers_and_what_they_started(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    from tests.core.test_mcp_manager import wait_gone
    from tests.fakes.mcp_config import toml_table

    pids = tmp_path / "pids"
    # A server that starts a child, records both pids, and never answers (it stays "starting").
    script = f"sleep 300 & echo $$ $! > {pids}; wait"
    (Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml").write_text(toml_table("stuck", "sh", ("-c", script)))
    with toki_on_pty([], pty_env(toki_env)) as app:
        app.wait_for(FIRST_FRAME)
        deadline = time.monotonic() + 20
        while not (pids.exists() and len(pids.read_text().split()) == 2):
            assert time.monotonic() < deadline, "the MCP server was not started after the first frame"
            time.sleep(0.02)
        os.kill(app.pid, signal.SIGTERM)
        assert app.wait_exit() == 128 + signal.SIGTERM
    server_pid, child_pid = (int(pid) for pid in pids.read_text().split())
    assert wait_gone(server_pid, 5) and wait_gone(child_pid, 5)
