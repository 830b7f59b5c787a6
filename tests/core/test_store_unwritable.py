"""A history that cannot be written: a full disk (SQLite's own "database or disk is full", from a page limit on
the connection) and a read-only file or folder. The reply still arrives in full, the store keeps what it took,
no transaction is left half-done, and the next start is clean."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, stream_text
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatParams
from toki_tui.core.errors import HistoryError, HistoryUnwritableError
from toki_tui.core.session import ChatSession
from toki_tui.core.store import connection as store_connection
from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.history_store import HistoryStore

LONG_REPLY = " ".join(f"word{n}" for n in range(20_000))  # ~170 KB of distinct words: no room for it, nor its index


def fill_disk(connection: sqlite3.Connection) -> None:
    """From now on the file may not grow: what does not fit in its free pages fails with SQLITE_FULL."""
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count = {pages}")


def full_disk_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the store opens from now on is on a full disk."""
    real_connect: Callable[[Path], sqlite3.Connection] = store_schema.connect

    def connect(path: Path) -> sqlite3.Connection:
        connection = real_connect(path)
        fill_disk(connection)
        return connection

    monkeypatch.setattr(store_schema, "connect", connect)


def message_rows(path: Path) -> list[tuple[str, str, int, str | None]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT role, status, length(content), error FROM messages ORDER BY id").fetchall()


async def test_a_full_disk_mid_reply_still_gives_the_whole_reply_and_records_why(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    store.open()
    fake_server.script(stream_text(LONG_REPLY), stream_text("second answer"))
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(client=client, store=store, endpoint_name="toki", model="m", params=ChatParams())
    fill_disk(store._connection.db())
    await drain(session.send("first"))
    assert session.reply is not None and session.reply.content == LONG_REPLY
    assert session.last_run.reply_status == "complete"
    assert session.save_problem is not None and session.save_problem.startswith("the disk is full:")
    assert "free some space" in session.save_problem
    [user, assistant] = message_rows(path)
    assert user[:2] == ("user", "complete")
    # The reply's row holds what was saved before the failure, marked cut off, with the reason.
    assert assistant[1] == "interrupted" and assistant[2] < len(LONG_REPLY)
    assert assistant[3] is not None and "the disk is full" in assistant[3]

    # The conversation goes on in memory, the first reply (in full) sent back as context.
    await drain(session.send("next"))
    assert session.reply is not None and session.reply.content == "second answer"
    sent = fake_server.chat_requests()[1].json()["messages"]
    assert [m["content"] for m in sent] == ["first", LONG_REPLY, "next"]
    await client.aclose()
    store.close()

    # The next start is clean: no "cannot rollback", the history reads.
    again = HistoryStore(path)
    report = again.open()
    assert report.notices == ()
    assert [c.message_count for c in again.list_conversations()] == [2]
    again.close()


async def test_a_checkpoint_that_fails_mid_reply_leaves_one_copy_of_the_reply_in_the_context(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.open()
    words = [f"word{n} " for n in range(20_000)]
    fake_server.script(stream_text("one"), stream_text(words), stream_text("ok"))
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(
        client=client, store=store, endpoint_name="toki", model="m", params=ChatParams(), checkpoint_interval=0.0
    )
    await drain(session.send("first"))
    fill_disk(store._connection.db())
    await drain(session.send("second"))  # checkpointed as it grows, until one no longer fits
    assert session.save_problem is not None and session.reply is not None
    assert session.reply.content == "".join(words)
    # Saved: the text of the last checkpoint that fit (SQLite rewrites a whole row to update it: a row this long
    # can take no further update on a full disk; the next start after this process marks it interrupted).
    [*_, (role, status, stored, _)] = message_rows(store.path)
    assert (role, status) == ("assistant", "streaming") and 0 < stored < len("".join(words))
    await drain(session.send("third"))
    sent = [m["content"] for m in fake_server.chat_requests()[-1].json()["messages"]]
    assert sent == ["first", "one", "second", "".join(words), "third"]
    await client.aclose()
    store.close()


async def test_a_full_disk_before_the_question_is_stored_still_answers(fake_server: FakeServer, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.open()
    fake_server.script(stream_text("the answer"))
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(client=client, store=store, endpoint_name="toki", model="m", params=ChatParams())
    fill_disk(store._connection.db())
    await drain(session.send("x" * 100_000))  # the question itself does not fit
    assert session.reply is not None and session.reply.content == "the answer"
    assert session.save_problem is not None and "the disk is full" in session.save_problem
    assert fake_server.chat_requests()[0].json()["messages"] == [{"role": "user", "content": "x" * 100_000}]
    await client.aclose()
    store.close()


def test_opening_on_a_full_disk_with_a_reply_to_mark_interrupted_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conversation = store.create_conversation(endpoint="toki", model="m")
        reply = store.start_reply(conversation.id, parent_id=None, model="m", endpoint="toki", params={})
        store.checkpoint_reply(reply.id, content=LONG_REPLY)
        # As a crashed process leaves it: "streaming", its writer gone.
        store._connection.db().execute("UPDATE messages SET writer_pid = NULL")
        store._connection.db().execute("VACUUM")  # no free pages left to write into either
    full_disk_connect(monkeypatch)
    store = HistoryStore(path)
    report = store.open()  # before: HistoryError "cannot rollback - no transaction is active"
    assert len(report.notices) == 1 and report.notices[0].startswith("the disk is full:")
    assert [c.id for c in store.list_conversations()] == [conversation.id]
    with pytest.raises(HistoryUnwritableError, match="the disk is full"):
        store.create_conversation(endpoint="toki", model="m", title="x" * 100_000)
    assert not store._connection.db().in_transaction
    store.close()


def _seed(path: Path) -> str:
    with HistoryStore(path) as store:
        conversation = store.create_conversation(endpoint="toki", model="m")
        store.add_message(conversation.id, role="user", content="kept from before")
        return conversation.id


def _check_read_only(store: HistoryStore, conversation_id: str, notices: tuple[str, ...]) -> None:
    assert store.read_only
    assert len(notices) == 1
    assert notices[0].startswith("history is read-only: conversations will not be saved")
    assert [m.content for m in store.branch(conversation_id)] == ["kept from before"]
    assert store.search("kept")
    with pytest.raises(HistoryUnwritableError, match="history is read-only"):
        store.rename_conversation(conversation_id, "new")


def test_a_history_sqlite_refuses_to_write_opens_for_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, where chmod does not stop writes: SQLite's own read-only refusal is injected instead.
    path = tmp_path / "history.sqlite3"
    conversation_id = _seed(path)

    def refuse(path: Path) -> object:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store_connection, "open_database", refuse)
    store = HistoryStore(path)
    _check_read_only(store, conversation_id, store.open().notices)
    store.close()


def test_a_folder_that_cannot_be_created_gives_an_empty_read_only_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store_connection, "open_database", refuse)
    store = HistoryStore(tmp_path / "nowhere" / "history.sqlite3")
    report = store.open()
    assert store.read_only and report.notices[0].startswith("history is read-only")
    assert store.list_conversations() == []
    store.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes through chmod; injected above")
def test_a_chmod_read_only_folder_opens_for_reading(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "history.sqlite3"
    conversation_id = _seed(path)
    path.chmod(0o400)
    folder.chmod(0o500)
    try:
        store = HistoryStore(path)
        _check_read_only(store, conversation_id, store.open().notices)
        store.close()
    finally:
        folder.chmod(0o700)
        path.chmod(0o600)


async def test_a_session_on_a_read_only_history_answers_in_memory(
    fake_server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    conversation_id = _seed(path)
    monkeypatch.setattr(store_connection, "open_database", lambda path: (_ for _ in ()).throw(PermissionError(13, "x")))
    store = HistoryStore(path)
    store.open()
    fake_server.script(stream_text("answer"))
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(
        client=client,
        store=store,
        endpoint_name="toki",
        model="m",
        params=ChatParams(),
        conversation_id=conversation_id,
    )
    await drain(session.send("more"))
    assert session.reply is not None and session.reply.content == "answer"
    assert session.save_problem is None  # the start-up notice already said so: no warning per reply
    sent = fake_server.chat_requests()[0].json()["messages"]
    assert [m["content"] for m in sent] == ["kept from before", "more"]
    await client.aclose()
    store.close()


def test_a_read_only_history_from_an_older_toki_is_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for statement in store_schema.SCHEMA_V1 + store_schema.SCHEMA_V2 + store_schema.SCHEMA_V3:
            connection.execute(statement)
        connection.execute("PRAGMA user_version = 3")

    def refuse(path: Path) -> object:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store_connection, "open_database", refuse)
    with pytest.raises(HistoryError, match=r"older toki \(history version 3\).*read-only; make it"):
        HistoryStore(path).open()


async def test_a_new_conversation_is_saved_again_once_the_disk_has_room(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """Saving stops for the conversation that failed, not for the rest of the session: a transient cause (a full
    disk since freed, another process's lock since released) must not leave every later conversation unsaved."""
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.open()
    fake_server.script(stream_text("lost answer"), stream_text("kept answer"))
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(client=client, store=store, endpoint_name="toki", model="m", params=ChatParams())
    fill_disk(store._connection.db())
    await drain(session.send("x" * 100_000))
    assert session.save_problem is not None and session.save_failures == 1
    store._connection.db().execute("PRAGMA max_page_count = 1073741823")  # space freed
    session.conversation_id = None  # Ctrl+N
    await drain(session.send("saved now"))
    assert session.save_problem is None and session.save_failures == 1
    assert [(role, status) for role, status, *_ in message_rows(store.path)] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    await client.aclose()
    store.close()
