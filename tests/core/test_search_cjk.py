"""Scripts written without spaces (Chinese, Japanese, Korean) are found by substring: a word inside a sentence,
in messages and titles, kept in step as messages are added, changed and deleted, and in histories written
before the index existed (version 1, migrated)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.history_store import HistoryStore


def add(store: HistoryStore, text: str, title: str = "") -> tuple[str, int]:
    conversation = store.create_conversation(endpoint="toki", model="m", title=title)
    return conversation.id, store.add_message(conversation.id, role="user", content=text).id


def test_a_cjk_word_inside_a_sentence_is_found_and_marked(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        _, tokyo = add(store, "明日の東京の天気はどうですか")
        _, seoul = add(store, "서울의 날씨는 어때요?")
        add(store, "The weather in Paris")
        [hit, title] = store.search("東京")  # the message, then its conversation's title (made from it)
        assert hit.message_id == tokyo and "«東京»" in hit.snippet
        assert title.message_id is None and title.conversation_id == hit.conversation_id
        assert [hit.message_id for hit in store.search("날씨")] == [seoul, None]
        assert [hit.message_id for hit in store.search("天気 東京")] == [tokyo, None]  # every word, any order
        assert [hit.message_id for hit in store.search("東京の天気")] == [tokyo, None]  # 3+ characters: the index
        assert store.search("大阪") == []


def test_titles_are_found_by_substring_too(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        conversation_id, _ = add(store, "hello", title="東京旅行の計画")
        [hit] = store.search("旅行")
        assert hit.conversation_id == conversation_id and hit.message_id is None and "«旅行»" in hit.snippet


def test_the_index_follows_edits_deletions_and_streaming_replies(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        conversation_id, asked = add(store, "質問")
        reply = store.start_reply(conversation_id, parent_id=asked, model="m", endpoint="toki", params={})
        store.checkpoint_reply(reply.id, content="途中の回答")
        assert store.search("回答") == []  # a reply still streaming is not indexed yet
        store.finish_reply(reply.id, content="最後の回答", status="complete")
        assert [hit.message_id for hit in store.search("最後")] == [reply.id]  # (the title is the question)
        assert store.search("途中") == []
        store.delete_conversation(conversation_id)
        assert store.search("最後") == []


def test_a_version_1_history_is_migrated_and_its_old_messages_found(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for statement in store_schema.SCHEMA_V1:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'old', 1e9, 1e9)"
        )
        connection.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at) "
            "VALUES ('c1', 'user', '古い東京の話', 1e9)"
        )
        connection.execute("PRAGMA user_version = 1")
    store = HistoryStore(path)
    report = store.open()
    try:
        assert report.migrated_from == 1
        [hit] = store.search("東京")
        assert (hit.conversation_id, hit.message_id) == ("c1", 1)
    finally:
        store.close()
