"""`toki ask` when things fail around the reply: a full disk under the history, a connection dropped mid-reply."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.conftest import TEST_API_KEY, IsolatedDirs
from tests.core.test_store_unwritable import LONG_REPLY, full_disk_connect
from tests.fakes.server import FakeServer, stream_error, stream_text
from toki_tui.cli import main
from toki_tui.core.store.history_store import HistoryStore


def test_a_full_disk_still_prints_the_whole_reply_with_one_warning(
    fake_server: FakeServer,
    isolated_dirs: IsolatedDirs,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TOKI_BASE_URL", fake_server.base_url)
    monkeypatch.setenv("TOKI_API_KEY", TEST_API_KEY)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    history = isolated_dirs.data_dir / "history.sqlite3"
    with HistoryStore(history) as store:  # an existing history, on a disk that then fills up
        store.create_conversation(endpoint="toki", model="m")
        store._connection.db().execute("VACUUM")
    fake_server.script(stream_text(LONG_REPLY), stream_text("fine again"))
    with monkeypatch.context() as full:
        full_disk_connect(full)
        code = main(["ask", "tell me everything"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == LONG_REPLY
    [warning] = err.splitlines()
    assert warning.startswith("toki: the disk is full:") and warning.endswith("; this reply was not saved")

    # Space is back: the next run is clean, and the history reads.
    assert main(["ask", "again"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("fine again", "")
    assert main(["history", "list"]) == 0
    assert "cannot rollback" not in capsys.readouterr().err


def test_a_read_only_history_still_answers(
    fake_server: FakeServer,
    isolated_dirs: IsolatedDirs,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from toki_tui.core.store import connection as store_connection

    monkeypatch.setenv("TOKI_BASE_URL", fake_server.base_url)
    monkeypatch.setenv("TOKI_API_KEY", TEST_API_KEY)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    HistoryStore(isolated_dirs.data_dir / "history.sqlite3").open()

    def refuse(path: Path) -> object:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store_connection, "open_database", refuse)
    fake_server.script(stream_text("answered"))
    assert main(["ask", "hi"]) == 0
    out, err = capsys.readouterr()
    assert out == "answered"
    [notice] = err.splitlines()
    assert notice.startswith("toki: history is read-only: conversations will not be saved")


def test_a_mid_stream_error_starts_on_its_own_line(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_error("openrouter", before="The first half", message="Provider disconnected"))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 1
    # stdout and stderr often share a terminal: the partial reply's line is ended before the error is reported.
    assert result.stdout == "The first half\n"
    assert result.stderr.startswith("toki: ") and "Provider disconnected" in result.stderr
