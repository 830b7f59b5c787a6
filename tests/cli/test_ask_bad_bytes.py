"""`toki ask` with bytes that are not UTF-8 on stdin or in argv: decoded with U+FFFD before anything is stored,
and a failed first message never leaves an empty conversation behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.server import FakeServer, stream_text
from toki_tui.core.store.history_store import HistoryStore


def run_bytes(args: list[str | bytes], env: dict[str, str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "toki_tui", *args], env=env, input=stdin, capture_output=True, timeout=60
    )


def saved(env: dict[str, str]) -> list[list[tuple[str, str]]]:
    with HistoryStore(Path(env["TOKI_DATA_DIR"]) / "history.sqlite3") as store:
        return [
            [(message.role, message.content) for message in store.branch(conversation.id)]
            for conversation in store.list_conversations()
        ]


@pytest.mark.parametrize("utf8_mode", ["0", "1"])  # 1: stdin and argv decode with surrogateescape
def test_non_utf8_stdin_and_argv_are_replaced_and_saved(
    fake_server: FakeServer, toki_env: dict[str, str], utf8_mode: str
) -> None:
    fake_server.script(stream_text("Noted."))
    env = {**toki_env, "PYTHONUTF8": utf8_mode, "LC_ALL": "C.UTF-8"}
    result = run_bytes(["ask", b"review caf\xe9"], env, stdin=b"caf\xe9 \xff\xfe ok\n")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode() == "Noted."
    question = "caf\ufffd \ufffd\ufffd ok\n\nreview caf\ufffd"
    assert fake_server.chat_requests()[0].json()["messages"][-1] == {"role": "user", "content": question}
    assert saved(toki_env) == [[("user", question), ("assistant", "Noted.")]]


def test_history_rename_and_search_with_non_utf8_argv(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("Noted."))
    assert run_bytes(["ask", "first"], toki_env, stdin=b"").returncode == 0
    renamed = run_bytes(["history", "rename", "last", b"caf\xe9 notes"], toki_env, stdin=b"")
    assert renamed.returncode == 0, renamed.stderr.decode(errors="replace")
    found = run_bytes(["history", "search", b"caf\xe9"], toki_env, stdin=b"")
    assert found.returncode == 0, found.stderr.decode(errors="replace")
    assert "caf\ufffd notes" in found.stdout.decode()
