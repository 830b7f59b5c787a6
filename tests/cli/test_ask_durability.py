"""Nothing is lost, with real `toki ask` processes: kill -9 mid-reply, and eight at once."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.helpers import popen_toki, run_toki
from tests.fakes.server import FakeServer, stream_text

TOKEN_DELAY = 0.02


def streaming_row(database: Path) -> tuple[str, str] | None:
    if not database.exists():
        return None
    with contextlib.closing(sqlite3.connect(database, timeout=5)) as connection:
        row = connection.execute(
            "SELECT status, content FROM messages WHERE role = 'assistant' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return row


def wait_for_checkpoints(database: Path, process: subprocess.Popen[str], count: int) -> float:
    """Wait until `toki ask` has checkpointed the streaming reply `count` times (its content grew `count` times),
    and return when it started streaming. This takes real time: a checkpoint is written once a second, and the
    kill must come after some, for "at most the last second lost" to say something."""
    contents: list[str] = []
    started = time.monotonic()
    deadline = started + 30
    while len(contents) < count:
        assert time.monotonic() < deadline, f"only {len(contents)} checkpoints were written"
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            row = streaming_row(database)
        except sqlite3.OperationalError:  # the file is there, its tables not yet
            row = None
        if row is None or row[0] != "streaming":
            started = time.monotonic()  # the reply has not started: its clock has not either
        elif row[1] and (not contents or row[1] != contents[-1]):
            contents.append(row[1])
        time.sleep(0.01)  # polling the database file, which has no change notification
    return started


def test_kill_9_mid_reply_loses_at_most_the_last_second(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    tokens = [f"w{i} " for i in range(2000)]
    fake_server.script(stream_text(tokens, chunk_delay=TOKEN_DELAY))
    database = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    process = popen_toki(["ask", "a very long story please"], toki_env)
    try:
        started = wait_for_checkpoints(database, process, count=2)
        process.send_signal(signal.SIGKILL)
        killed_after = time.monotonic() - started
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    status, content = streaming_row(database) or ("", "")
    assert status == "streaming"  # as the crash left it
    # At the next start the reply is marked interrupted and keeps its text.
    listing = run_toki(["history", "show", "last", "--json"], toki_env)
    assert listing.returncode == 0, listing.stderr
    shown = json.loads(listing.stdout)
    messages = shown["messages"] if isinstance(shown, dict) else shown
    reply = [m for m in messages if m["role"] == "assistant"][-1]
    assert reply["status"] == "interrupted"
    assert reply["content"] == content
    full = "".join(tokens)
    assert full.startswith(content)
    # Everything that arrived more than ~1 s before the kill is there (0.5 s of slack for a loaded machine).
    expected_tokens = (killed_after - 1.0 - 0.5) / TOKEN_DELAY
    assert len(content.split()) >= expected_tokens, (len(content.split()), expected_tokens)


def test_eight_processes_at_once_all_saved(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.default_reply = stream_text(["reply ", "text ", "here"], chunk_delay=0.01)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "toki_tui", "ask", f"question {n}"],
            env=toki_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr
        assert "locked" not in stderr
    listing = run_toki(["history", "list", "--json"], toki_env)
    conversations = json.loads(listing.stdout)
    assert len(conversations) == 8
    database = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT role, status, content FROM messages").fetchall()
    assert sorted(content for role, _, content in rows if role == "user") == sorted(f"question {n}" for n in range(8))
    assert [status for role, status, _ in rows if role == "assistant"] == ["complete"] * 8
