"""`toki --resume REF` is checked before the full screen opens (toki_tui.core.store.conversation_ref.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from toki_tui.core.store.conversation_ref import resume_problem
from toki_tui.core.store.history_store import HistoryStore


def history_with(path: Path, ids: list[str]) -> None:
    with HistoryStore(path) as store:
        made = [store.create_conversation(endpoint="toki", model="m/x").id for _ in ids]
    db = sqlite3.connect(path)  # ids chosen, so that a prefix is shared on purpose
    with db:
        for old, wanted in zip(made, ids, strict=True):
            db.execute("UPDATE conversations SET id = ? WHERE id = ?", (wanted, old))
    db.close()


def test_a_reference_naming_no_single_conversation_is_a_command_line_mistake(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    assert resume_problem(path, "abc") == (f"--resume abc: there are no conversations in the history yet ({path})")
    history_with(path, ["abc111", "abc222", "def333"])
    assert resume_problem(path, "def") is None
    assert resume_problem(path, "ABC1") is None
    assert resume_problem(path, "last") is None
    missing = resume_problem(path, "0f")
    assert missing == "--resume 0f: no conversation id starts with '0f'; `toki history list` lists the conversations"
    ambiguous = resume_problem(path, "abc")
    assert ambiguous is not None and ambiguous.startswith("--resume abc: 'abc' matches more than one conversation")
    assert "abc111" in ambiguous and ambiguous.endswith("`toki history list` lists the conversations")
    not_an_id = resume_problem(path, "nope")
    assert (
        not_an_id == "--resume nope: 'nope' is not a conversation id (use the id from `toki history list`, or 'last')"
    )


def test_a_history_that_cannot_be_read_is_left_to_the_app(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"not a database, but long enough to be read as a header" * 20)
    assert resume_problem(path, "abc") is None
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()  # a database without toki's tables
    assert resume_problem(empty, "abc") is None
