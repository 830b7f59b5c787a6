"""`toki history show` shows where a conversation branched (a regenerated reply, an edited question) and prints
any branch; `toki history search` says where a hit is as a reader counts (its place in the conversation)."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from toki_tui.cli.history import run_history
from toki_tui.cli.history_arguments import add_history_parser
from toki_tui.core.store.history_store import HistoryStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "history.sqlite3") as opened:
        yield opened


def history(store: HistoryStore, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="toki")
    add_history_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = run_history(parser.parse_args(["history", *argv]), store, out, err)
    return code, out.getvalue(), err.getvalue()


def branched(store: HistoryStore) -> str:
    """A question with two replies (the second regenerated, current), then a follow-up under the second."""
    conversation = store.create_conversation(endpoint="toki", model="org/model")
    asked = store.add_message(conversation.id, role="user", content="Name a colour")
    for answer in ("red", "blue"):
        reply = store.start_reply(conversation.id, parent_id=asked.id, model="org/model", endpoint="toki", params={})
        store.finish_reply(reply.id, content=answer, status="complete")
    store.add_message(conversation.id, role="user", content="Why blue?")
    return conversation.id


def test_show_marks_the_siblings_and_says_which_branch_it_prints(store: HistoryStore) -> None:
    conversation_id = branched(store)
    code, out, _ = history(store, "show", conversation_id[:8])
    assert code == 0
    assert "branch 2 of 2 (--branch N or --all for the others)" in out
    assert "blue" in out and "red" not in out and "Why blue?" in out
    assert "‹ 2/2 ›" in out  # the reply shown is the second of two


def test_show_prints_another_branch_or_all_of_them(store: HistoryStore) -> None:
    conversation_id = branched(store)
    code, out, _ = history(store, "show", conversation_id[:8], "--branch", "1")
    assert code == 0
    assert "red" in out and "blue" not in out and "‹ 1/2 ›" in out and "Why blue?" not in out
    code, out, _ = history(store, "show", conversation_id[:8], "--all")
    assert code == 0
    assert "═══ branch 1 of 2 ═══" in out and "═══ branch 2 of 2 (current) ═══" in out
    assert out.index("red") < out.index("branch 2 of 2") < out.index("blue")
    code, _, err = history(store, "show", conversation_id[:8], "--branch", "3")
    assert code == 1 and "has 2 branches; choose --branch 1 to 2" in err


def test_show_json_carries_the_branch_and_sibling_positions(store: HistoryStore) -> None:
    conversation_id = branched(store)
    _, out, _ = history(store, "show", conversation_id, "--json")
    record = json.loads(out)
    assert record["branch"] == {"number": 2, "count": 2}
    assert [m["siblings"] for m in record["messages"]] == [None, {"position": 2, "count": 2}, None]
    _, out, _ = history(store, "show", conversation_id, "--json", "--all")
    assert [branch["current"] for branch in json.loads(out)["branches"]] == [False, True]


def test_search_names_the_message_by_its_place_in_the_conversation(store: HistoryStore) -> None:
    branched(store)
    code, out, _ = history(store, "search", "Why")
    assert code == 0
    assert "(message 3)" in out  # question, reply, follow-up: the third message of its branch
    _, out, _ = history(store, "search", "Why", "--json")
    assert json.loads(out)[0]["position"] == 3
