"""Opening a history: a corrupt or foreign file, a newer schema, a migration, replies left streaming."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from toki_tui.core.errors import HistoryError
from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.history_store import HistoryStore


def history_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def seeded(path: Path, text: str = "remember the milk") -> str:
    with HistoryStore(path) as store:
        conversation = store.create_conversation(endpoint="toki", model="m")
        store.add_message(conversation.id, role="user", content=text)
        return conversation.id


@pytest.mark.parametrize(
    "garbage",
    [b"this is not a database at all\n" * 100, b"\x00\xff" * 3000, b"SQLite format 3\x00" + b"\xee" * 5000],
    ids=["text", "binary", "sqlite-header-then-garbage"],
)
def test_an_unreadable_file_is_moved_aside_and_a_fresh_history_starts(tmp_path: Path, garbage: bytes) -> None:
    path = history_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    store = HistoryStore(path)
    report = store.open()
    try:
        assert report.created and report.corrupt_moved_to is not None
        moved = report.corrupt_moved_to
        assert moved.parent == path.parent and moved.name.startswith("history.sqlite3.corrupt-")
        assert moved.read_bytes() == garbage  # kept byte for byte
        [notice] = report.notices
        assert str(path) in notice and str(moved) in notice and "new, empty history" in notice
        conversation = store.create_conversation(endpoint="toki", model="m")
        assert store.get_conversation(conversation.id).id == conversation.id
    finally:
        store.close()


def test_two_corrupt_files_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    path = history_path(tmp_path)
    path.parent.mkdir(parents=True)
    moved = []
    for content in (b"first broken file", b"second broken file"):
        path.unlink(missing_ok=True)
        for companion in path.parent.glob("history.sqlite3-*"):
            companion.unlink()
        path.write_bytes(content)
        with HistoryStore(path) as store:
            pass
        report_target = sorted(path.parent.glob("history.sqlite3.corrupt-*"))
        moved = [target for target in report_target if not target.name.endswith(("-wal", "-shm"))]
    assert sorted(target.read_bytes() for target in moved) == [b"first broken file", b"second broken file"]
    assert store.path == path


def test_a_file_damaged_past_its_header_names_itself_and_says_what_to_do(tmp_path: Path) -> None:
    """Readable header, broken pages: opening succeeds, the first read fails; the message is not SQLite's alone."""
    path = history_path(tmp_path)
    for number in range(30):
        seeded(path, f"conversation {number} " + "x" * 500)
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(b"\xff" * 16384)
    with HistoryStore(path) as store, pytest.raises(HistoryError) as raised:
        store.list_conversations(limit=50)
    message = str(raised.value)
    assert str(path) in message and "damaged" in message and "Move the file aside" in message


def test_a_write_lock_held_by_another_process_at_open_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = history_path(tmp_path)
    seeded(path)
    monkeypatch.setattr(store_schema, "BUSY_TIMEOUT_SECONDS", 0.05)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("PRAGMA journal_mode = DELETE")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(HistoryError) as raised:
            HistoryStore(path).open()
        holder.execute("ROLLBACK")
    message = str(raised.value)
    assert str(path) in message and "write lock" in message and "try again" in message


def test_a_history_from_a_newer_toki_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = history_path(tmp_path)
    seeded(path)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute(f"PRAGMA user_version = {store_schema.SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    store = HistoryStore(path)
    with pytest.raises(HistoryError) as raised:
        store.open()
    message = str(raised.value)
    assert str(path) in message and "newer toki" in message and "untouched" in message
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*.corrupt-*"))


def test_a_migration_copies_the_file_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = history_path(tmp_path)
    conversation_id = seeded(path)

    def add_tags(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT ''")

    current = store_schema.SCHEMA_VERSION
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store_schema.MIGRATIONS, current + 1, add_tags)
    with HistoryStore(path) as store:
        report = store.open()  # already open: reports nothing new
        assert report.migrated_from is None
        assert store.get_conversation(conversation_id).title == "remember the milk"
    with HistoryStore(path) as store:
        pass
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (current + 1,)
        assert connection.execute("SELECT tags FROM conversations").fetchall() == [("",)]
    [backup] = path.parent.glob(f"history.sqlite3.v{current}-backup-*")
    with contextlib.closing(sqlite3.connect(backup)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (current,)
        assert connection.execute("SELECT title FROM conversations").fetchall() == [("remember the milk",)]


def test_a_backup_cut_off_mid_copy_is_never_left_under_a_backup_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """toki killed while copying the old file: what is on disk must not pass for a backup (SQLite's journal for
    the copy rolls it back to an empty file). The process dies just before the rename here."""
    path = history_path(tmp_path)
    conversation_id = seeded(path)
    current = store_schema.SCHEMA_VERSION
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store_schema.MIGRATIONS, current + 1, lambda connection: None)

    def killed(source: object, target: object) -> None:
        raise SystemExit("killed")

    replace = os.replace
    monkeypatch.setattr(store_schema.os, "replace", killed)
    with pytest.raises(SystemExit):
        HistoryStore(path).open()
    assert [leftover.name.split(".")[-1][:8] for leftover in path.parent.glob("*-backup-*")] == ["partial-"]
    [partial] = path.parent.glob("*.partial-*")
    dead = partial.with_name(partial.name.rsplit("-", 1)[0] + "-999999999")  # as if left by a process now gone
    partial.rename(dead)
    monkeypatch.setattr(store_schema.os, "replace", replace)
    with HistoryStore(path) as store:  # started again: nothing lost, and the half copy is gone
        assert store.get_conversation(conversation_id).title == "remember the milk"
    assert not list(path.parent.glob("*.partial-*"))
    assert len(list(path.parent.glob(f"history.sqlite3.v{current}-backup-*"))) == 1


def test_the_migration_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = history_path(tmp_path)
    seeded(path)
    current = store_schema.SCHEMA_VERSION
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store_schema.MIGRATIONS, current + 1, lambda connection: None)
    store = HistoryStore(path)
    report = store.open()
    store.close()
    assert report.migrated_from == current and not report.created
    [notice] = report.notices
    assert f"upgraded from version {current}" in notice and "backup" in notice


def test_a_new_history_reports_no_migration(tmp_path: Path) -> None:
    store = HistoryStore(history_path(tmp_path))
    report = store.open()
    store.close()
    assert report.created and report.migrated_from is None and report.notices == ()


def _streaming_reply(path: Path, writer_pid: int | None) -> int:
    with HistoryStore(path) as store:
        conversation = store.create_conversation(endpoint="toki", model="m")
        asked = store.add_message(conversation.id, role="user", content="go")
        reply = store.start_reply(conversation.id, parent_id=asked.id, model="m", endpoint="toki", params={})
        store.checkpoint_reply(reply.id, content="half a sentence")
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE messages SET writer_pid = ? WHERE id = ?", (writer_pid, reply.id))
    return reply.id


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_replies_left_streaming_by_a_dead_process_become_interrupted(tmp_path: Path) -> None:
    path = history_path(tmp_path)
    reply_id = _streaming_reply(path, _dead_pid())
    store = HistoryStore(path)
    report = store.open()
    try:
        assert report.interrupted_count == 1
        assert any("interrupted" in notice and "full disk" in notice for notice in report.notices)
        reply = store.get_message(reply_id)
        assert (reply.status, reply.content) == ("interrupted", "half a sentence")
        assert [hit.message_id for hit in store.search("sentence")] == [reply_id]  # now searchable
    finally:
        store.close()
    with HistoryStore(path) as again:
        assert again.get_message(reply_id).status == "interrupted"


def test_a_reply_another_live_process_is_writing_is_left_alone(tmp_path: Path) -> None:
    path = history_path(tmp_path)
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as alive:
        try:
            reply_id = _streaming_reply(path, alive.pid)
            store = HistoryStore(path)
            report = store.open()
            assert report.interrupted_count == 0 and report.notices == ()
            assert store.get_message(reply_id).status == "streaming"
            store.close()
        finally:
            assert alive.stdin is not None
            alive.stdin.close()
            alive.wait()


def test_an_unopenable_location_is_a_history_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(HistoryError, match="cannot open the history file"):
        HistoryStore(blocker / "history.sqlite3").open()
    assert blocker.read_text() == "a file where the folder should be"


def test_a_new_history_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    store = HistoryStore(path)
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="m")
    store.add_message(conversation.id, role="user", content="private words")
    for file in path.parent.iterdir():
        assert file.stat().st_mode & 0o077 == 0, file
    store.close()
