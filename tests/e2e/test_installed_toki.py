"""The installed `toki` command (the console script next to this interpreter, as a user runs it) against the
loopback fake server: `toki ask` streaming into a pipe and failing with its exit code, `toki history` and
`toki models` printing what a script reads, and the full-screen chat under a real pty from the first frame to
Ctrl+Q. The other tests run the package in-process or through `python -m toki_tui`; these check that what is
installed works."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.cli.helpers import read_stdout_until
from tests.e2e.pty_support import FIRST_FRAME, assert_restored, toki_on_pty
from tests.fakes.server import FakeServer, models_reply, openai_error_reply, stream_text

TOKI = Path(sys.executable).parent / "toki"


@pytest.fixture(autouse=True)
def _installed() -> None:
    assert TOKI.is_file(), f"toki is not installed next to {sys.executable}: pip install -e . first"


@pytest.fixture
def user_env(toki_env: dict[str, str]) -> dict[str, str]:
    """toki_env as a user's shell has it: Python's output buffered as usual, so toki must flush by itself."""
    return {name: value for name, value in toki_env.items() if name != "PYTHONUNBUFFERED"}


def toki(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOKI), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )


def test_ask_streams_into_a_pipe_as_the_reply_arrives(fake_server: FakeServer, user_env: dict[str, str]) -> None:
    words = [f"word{n} " for n in range(50)]
    fake_server.script(stream_text(words, chunk_delay=0.02))  # a second of streaming
    process = subprocess.Popen(
        [str(TOKI), "ask", "count", "for", "me"],
        env=user_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = read_stdout_until(process, "word0 ")
        [request] = fake_server.chat_requests()
        assert not request.finished.is_set(), "the first word reached the pipe only after the whole reply"
        rest, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert first + rest == "".join(words)
    assert stderr == ""
    assert request.json()["messages"] == [{"role": "user", "content": "count for me"}]


def test_ask_fails_with_exit_1_and_one_readable_line(fake_server: FakeServer, user_env: dict[str, str]) -> None:
    fake_server.script(openai_error_reply(401, "Incorrect API key provided"))
    result = toki(["ask", "hi"], user_env)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "HTTP 401" in line and "Incorrect API key provided" in line and "TOKI_API_KEY" in line


def test_history_lists_shows_searches_and_exports(
    fake_server: FakeServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.script(stream_text("Pelicans scoop fish."), stream_text("Herons stand still."))
    assert toki(["ask", "how do pelicans eat"], user_env).returncode == 0
    assert toki(["ask", "and herons"], user_env).returncode == 0

    listing = toki(["history", "list", "--json"], user_env)
    assert listing.returncode == 0, listing.stderr
    conversations = json.loads(listing.stdout)
    assert len(conversations) == 2
    herons_id = conversations[0]["id"]  # the most recent first

    shown = toki(["history", "show", "last"], user_env)
    assert shown.returncode == 0, shown.stderr
    assert "and herons" in shown.stdout and "Herons stand still." in shown.stdout
    assert "pelicans" not in shown.stdout.lower()

    found = toki(["history", "search", "--json", "pelicans"], user_env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and all(hit["conversation_id"] != herons_id for hit in hits)

    markdown_file = tmp_path / "herons.md"
    exported = toki(["history", "export", herons_id[:8], "-o", str(markdown_file)], user_env)
    assert exported.returncode == 0, exported.stderr
    markdown = markdown_file.read_text(encoding="utf-8")
    assert "and herons" in markdown and "Herons stand still." in markdown
    as_json = toki(["history", "export", "last", "--format", "json"], user_env)
    assert as_json.returncode == 0, as_json.stderr
    assert "Herons stand still." in as_json.stdout
    json.loads(as_json.stdout)


def test_models_prints_a_table_and_json(fake_server: FakeServer, user_env: dict[str, str]) -> None:
    fake_server.models = models_reply(shape="openrouter")
    table = toki(["models"], user_env)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["MODEL", "CONTEXT", "INPUT", "OUTPUT"]
    assert "deepseek/deepseek-chat-v3" in table.stdout
    as_json = toki(["models", "--json"], user_env)
    assert as_json.returncode == 0, as_json.stderr
    assert "deepseek/deepseek-chat-v3" in [model["id"] for model in json.loads(as_json.stdout)]


def test_the_chat_on_a_terminal_sends_shows_the_reply_and_quits_with_ctrl_q(
    fake_server: FakeServer, user_env: dict[str, str]
) -> None:
    fake_server.script(stream_text("Nice to meet you, Zebedee."))
    database = Path(user_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    with toki_on_pty([], {**user_env, "TERM": "xterm-256color"}, command=[str(TOKI)]) as app:
        app.wait_for(FIRST_FRAME)
        app.type("hello from a terminal\r")
        app.wait_for(b"Zebedee.")
        assert not termios.tcgetattr(app.fd)[3] & termios.ICANON  # the app has the terminal in raw mode
        app.output.clear()
        app.type("\x11")  # Ctrl+Q
        assert app.wait_exit() == 0
        settings = termios.tcgetattr(app.fd)
    assert_restored(bytes(app.output))
    local_flags = settings[3]
    assert local_flags & termios.ICANON and local_flags & termios.ECHO, "the terminal was left in raw mode"
    [request] = fake_server.chat_requests()
    assert request.json()["messages"][-1] == {"role": "user", "content": "hello from a terminal"}
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT role, status, content FROM messages ORDER BY id").fetchall()
    assert rows == [
        ("user", "complete", "hello from a terminal"),
        ("assistant", "complete", "Nice to meet you, Zebedee."),
    ]
