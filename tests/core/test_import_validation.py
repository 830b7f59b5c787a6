"""Imports check every field and are all or nothing per file, with one error naming the file, record and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toki_tui.core.errors import HistoryError
from toki_tui.core.store.export import MAX_IMPORT_DEPTH, import_file
from toki_tui.core.store.history_store import HistoryStore


def deeply_nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def document(number: int, **message_fields: Any) -> dict[str, Any]:
    return {
        "format": "toki.conversation",
        "version": 1,
        "id": f"{number:032x}",
        "title": f"conversation {number}",
        "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_100.0,
        "current_message": 1,
        "messages": [{"id": 1, "parent": None, "role": "user", "content": "hello", **message_fields}],
    }


def write(tmp_path: Path, data: Any, text: str | None = None) -> Path:
    path = tmp_path / "import.json"
    path.write_text(text if text is not None else json.dumps(data), encoding="utf-8")
    return path


def refused(store: HistoryStore, path: Path) -> str:
    with pytest.raises(HistoryError) as caught:
        import_file(store, path)
    assert store.list_conversations(include_archived=True) == []  # nothing of the file was stored
    message = str(caught.value)
    assert str(path) in message and "nothing" in message
    return message


@pytest.mark.parametrize("stamp", [1e300, -5.0, 1e20])
def test_a_time_outside_1970_to_9999_is_refused(store: HistoryStore, tmp_path: Path, stamp: float) -> None:
    message = refused(store, write(tmp_path, [document(1), document(2, created_at=stamp)]))
    assert "[1].messages[0].created_at" in message


def test_nan_is_refused_and_nothing_of_the_file_is_stored(store: HistoryStore, tmp_path: Path) -> None:
    text = json.dumps([document(1), document(2)]).replace("1700000100.0", "NaN")
    message = refused(store, write(tmp_path, None, text))
    assert "NaN" in message


def test_usage_must_be_token_counts(store: HistoryStore, tmp_path: Path) -> None:
    message = refused(store, write(tmp_path, document(1, usage={"completion_tokens": "lots"})))
    assert "messages[0].usage.completion_tokens" in message
    refused(store, write(tmp_path, document(1, usage=[1, 2])))


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"role": "wizard"}, "messages[0].role"),
        ({"content": 5}, "messages[0].content"),
        ({"params": {"a": deeply_nested(40)}}, "messages[0].params"),
        ({"tool_calls": ["not an object"]}, "messages[0].tool_calls"),
        ({"duration": -1}, "messages[0].duration"),
    ],
)
def test_message_fields_are_checked(store: HistoryStore, tmp_path: Path, fields: dict[str, Any], where: str) -> None:
    assert where in refused(store, write(tmp_path, document(1, **fields)))


def test_conversation_flags_must_be_booleans(store: HistoryStore, tmp_path: Path) -> None:
    assert ".archived" in refused(store, write(tmp_path, {**document(1), "archived": "yes"}))


def test_json_nested_100000_deep_is_one_clear_error(store: HistoryStore, tmp_path: Path) -> None:
    message = refused(store, write(tmp_path, None, "[" * 100_000 + "]" * 100_000))
    assert f"more than {MAX_IMPORT_DEPTH} levels" in message


def test_lone_surrogates_are_replaced_not_stored(store: HistoryStore, tmp_path: Path) -> None:
    text = json.dumps(document(1, content="caf\ud800!"))
    assert "\\ud800" in text
    result = import_file(store, write(tmp_path, None, text))
    (message,) = store.branch(result.imported[0].id)
    assert message.content == "caf\ufffd!"


def test_a_chatgpt_time_out_of_range_is_refused(store: HistoryStore, tmp_path: Path) -> None:
    item = {
        "id": "abc",
        "title": "t",
        "create_time": 1_700_000_000.0,
        "mapping": {
            "n1": {
                "id": "n1",
                "parent": None,
                "children": [],
                "message": {
                    "author": {"role": "user"},
                    "content": {"content_type": "text", "parts": ["hi"]},
                    "create_time": 1e300,
                },
            }
        },
    }
    assert "mapping['n1'].message.create_time" in refused(store, write(tmp_path, [item]))
