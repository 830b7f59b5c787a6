"""Rows already in the history with values toki never writes (an older version, another tool, a hand edit) are
shown as best they can be: no `toki history` command crashes on them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_history_cli import history, seed, store  # noqa: F401  (store is a fixture)
from toki_tui.core.store.history_store import HistoryStore


def damage(path: Path, conversation_id: str) -> None:
    """Write, with raw SQLite, every kind of bad value a column can hold."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE conversations SET updated_at = 1e300, created_at = 'NaN', params = 'not json{', "
            "message_count = 'many', pinned = 'yes', current_leaf_id = 'x' WHERE id = ?",
            (conversation_id,),
        )
        connection.execute(
            'UPDATE messages SET created_at = 9e999, usage = \'{"completion_tokens": "lots"}\', '
            "params = '[1, 2]', tool_calls = '{\"not\": \"a list\"}', duration = 'slow', ttft = -9e999 "
            "WHERE conversation_id = ? AND role = 'assistant'",
            (conversation_id,),
        )
        connection.execute(
            "UPDATE messages SET created_at = 'yesterday', usage = 'invalid json', content = 42 "
            "WHERE conversation_id = ? AND role = 'user'",
            (conversation_id,),
        )
    connection.close()


@pytest.fixture
def damaged(store: HistoryStore) -> str:  # noqa: F811
    conversation_id = seed(store, "the question", "the answer about databases")
    damage(store.path, conversation_id)
    return conversation_id


def test_list_shows_a_damaged_conversation(store: HistoryStore, damaged: str) -> None:  # noqa: F811
    code, out, err = history(store, "list")
    assert (code, err) == (0, "")
    assert damaged[:8] in out and "the question" in out
    code, out, err = history(store, "list", "--json")
    assert code == 0 and json.loads(out)[0]["updated_at"] == 0.0


def test_show_and_export_a_damaged_conversation(store: HistoryStore, damaged: str) -> None:  # noqa: F811
    code, out, err = history(store, "show", damaged[:8])
    assert (code, err) == (0, "")
    assert "42" in out and "the answer about databases" in out
    code, out, err = history(store, "show", damaged[:8], "--json")
    assert code == 0
    reply = json.loads(out)["messages"][1]
    assert reply["usage"] is None and reply["params"] is None and reply["tool_calls"] is None
    assert reply["duration"] is None and reply["ttft"] is None and reply["created_at"] == 0.0
    for format in ("md", "json"):
        code, out, err = history(store, "export", damaged[:8], "--format", format)
        assert (code, err) == (0, ""), format
        assert "the answer about databases" in out


def test_search_finds_a_damaged_conversation(store: HistoryStore, damaged: str) -> None:  # noqa: F811
    code, out, err = history(store, "search", "databases")
    assert (code, err) == (0, "")
    assert "«databases»" in out


def test_a_damaged_export_imports_again(store: HistoryStore, damaged: str, tmp_path: Path) -> None:  # noqa: F811
    """What is exported from a damaged row is valid: it imports into another history."""
    code, out, _ = history(store, "export", damaged[:8], "--format", "json")
    exported = tmp_path / "exported.json"
    exported.write_text(out, encoding="utf-8")
    with HistoryStore(tmp_path / "other" / "history.sqlite3") as other:
        code, out, err = history(other, "import", str(exported))
        assert (code, err) == (0, "")
        assert other.conversation_exists(damaged)
