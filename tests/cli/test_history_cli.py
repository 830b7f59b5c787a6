"""`toki history`: called directly (run_history with string streams) and as real processes."""

from __future__ import annotations

import argparse
import io
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.conftest import TEST_API_KEY
from tests.fakes.server import FakeServer, stream_text
from toki_tui.cli.history import add_history_parser, run_history
from toki_tui.core.store.history_store import HistoryStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "data" / "history.sqlite3") as opened:
        yield opened


def seed(store: HistoryStore, question: str, answer: str, model: str = "org/model") -> str:
    conversation = store.create_conversation(endpoint="toki", model=model)
    asked = store.add_message(conversation.id, role="user", content=question)
    reply = store.start_reply(conversation.id, parent_id=asked.id, model=model, endpoint="toki", params={})
    store.finish_reply(
        reply.id, content=answer, status="complete", duration=1.5, usage={"completion_tokens": 4}, cost_estimate=0.002
    )
    return conversation.id


def history(store: HistoryStore, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="toki")
    add_history_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["history", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = run_history(args, store, out, err)
    return code, out.getvalue(), err.getvalue()


def test_list_is_aligned_with_short_ids_and_dates(store: HistoryStore) -> None:
    first = seed(store, "First question", "one", model="a/very-long-model-name-for-the-column")
    second = seed(store, "Second \x1b]0;pwned\x07question", "two")
    code, out, _ = history(store, "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "UPDATED", "MSGS", "MODEL", "TITLE"]
    assert [row[:8] for row in rows] == [second[:8], first[:8]]
    assert len({row.index("Second") if "Second" in row else row.index("First") for row in rows}) == 1  # aligned
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0])
    assert "\x1b" not in out and "\x07" not in out
    code, out, _ = history(store, "list", "--json")
    listed = json.loads(out)
    assert [item["id"] for item in listed] == [second, first] and listed[0]["message_count"] == 2


def test_an_empty_history_says_how_to_start(store: HistoryStore) -> None:
    code, out, _ = history(store)  # no action: list
    assert code == 0 and "No saved conversations yet" in out


def test_show_by_prefix_and_last(store: HistoryStore) -> None:
    conversation_id = seed(store, "What is \x1b[2Jup?", "The sky \x9b31m.")
    code, out, _ = history(store, "show", conversation_id[:6])
    assert code == 0
    assert "── user" in out and "── assistant" in out and "1.5 s · 4 tokens · ≈$0.002 ──" in out
    assert "\x1b" not in out and "\x9b" not in out and "The sky ." in out and "31m" not in out
    code, out, _ = history(store, "show", "last", "--json")
    shown = json.loads(out)
    assert shown["conversation"]["id"] == conversation_id
    assert [m["content"] for m in shown["messages"]] == ["What is \x1b[2Jup?", "The sky \x9b31m."]
    assert "\x1b" not in out and "\x9b" not in out  # escaped in the JSON text
    code, _, err = history(store, "show", "zzz")
    assert code == 1 and "not a conversation id" in err


def test_show_says_which_call_each_tool_result_answers(store: HistoryStore) -> None:
    """A reply calling two tools is followed by two results: each heading names its call, as the export does."""
    conversation = store.create_conversation(endpoint="toki", model="m")
    store.add_message(conversation.id, role="user", content="what time is it in Tokyo and Paris?")
    calls = [
        {"id": f"call_{city}", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
        for city in ("tokyo", "paris\x1b[2J")
    ]
    store.add_message(conversation.id, role="assistant", content="", tool_calls=calls)
    store.add_message(conversation.id, role="tool", content="23:00", tool_call_id="call_tokyo")
    store.add_message(conversation.id, role="tool", content="15:00", tool_call_id="call_paris\x1b[2J")
    code, out, _ = history(store, "show", conversation.id)
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("── tool")]
    assert len(headings) == 2 and "\x1b" not in out
    assert headings[0].endswith(" · result of call_tokyo ──") and " · result of call_paris" in headings[1]


def test_search_prints_ranked_hits_with_snippets(store: HistoryStore) -> None:
    seed(store, "how do I bake bread", "use flour, water and patience")
    target = seed(store, "sourdough bread again", "bread bread bread")
    code, out, _ = history(store, "search", "bread")
    assert code == 0
    first_hit = out.splitlines()[0]
    assert first_hit.startswith(target[:8])
    assert "«bread»" in out.splitlines()[1]
    code, out, _ = history(store, "search", "--json", "foo-bar", "(")
    assert code == 0 and json.loads(out) == []
    code, out, _ = history(store, "search", "nothing-like-this")
    assert "Nothing matches" in out


def test_export_import_rename_delete(store: HistoryStore, tmp_path: Path) -> None:
    conversation_id = seed(store, "keep me", "kept")
    target = tmp_path / "out" / "conversation.json"
    target.parent.mkdir()
    code, _, err = history(store, "export", "last", "--format", "json", "-o", str(target))
    assert code == 0 and str(target) in err
    code, out, _ = history(store, "export", conversation_id[:8], "--format", "md")
    assert out.startswith("# keep me")
    with HistoryStore(tmp_path / "other.sqlite3") as other:
        code, out, _ = history(other, "import", str(target))
        assert code == 0 and f"Imported 1 conversation from a toki export.\n  {conversation_id[:8]}  keep me" in out
        assert history(other, "export", "last", "--format", "json")[1] == target.read_text()
    code, out, _ = history(store, "rename", "last", "A", "better", "title")
    assert code == 0 and store.get_conversation(conversation_id).title == "A better title"
    code, _, err = history(store, "delete", "last")  # pytest's stdin is not a terminal
    assert code == 2 and "without --yes" in err and store.conversation_exists(conversation_id)
    code, out, _ = history(store, "delete", "last", "--yes")
    assert code == 0 and "Deleted" in out and not store.conversation_exists(conversation_id)


def _environment(data_dir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TOKI_")}
    env["TOKI_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_run_history_from_python_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with HistoryStore(data_dir / "history.sqlite3") as store:
        conversation_id = seed(store, "from a subprocess", "yes")
    code = (
        "import argparse, sys\n"
        "from toki_tui.cli.history import add_history_parser, run_history\n"
        "from toki_tui.core.config import paths\n"
        "from toki_tui.core.store.history_store import HistoryStore\n"
        "parser = argparse.ArgumentParser(prog='toki')\n"
        "add_history_parser(parser.add_subparsers(dest='command'))\n"
        "args = parser.parse_args(sys.argv[1:])\n"
        "with HistoryStore(paths.history_file()) as store:\n"
        "    sys.exit(run_history(args, store, sys.stdout, sys.stderr))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "history", "list"],
        env=_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert conversation_id[:8] in result.stdout and "from a subprocess" in result.stdout
    assert "textual" not in result.stderr


def test_delete_asks_on_a_terminal(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with HistoryStore(data_dir / "history.sqlite3") as store:
        keep = seed(store, "keep this one", "x")
        drop = seed(store, "drop this one", "y")
    for conversation_id, answer in ((keep, "n"), (drop, "y")):
        controller, terminal = pty.openpty()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "toki_tui", "history", "delete", conversation_id[:8]],
                env=_environment(data_dir),
                stdin=terminal,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            os.write(controller, f"{answer}\n".encode())
            out, err = process.communicate(timeout=60)
        finally:
            os.close(controller)
            os.close(terminal)
        assert "[y/N]" in err and "message" in err
        if answer == "n":
            assert process.returncode == 1 and "Nothing deleted" in err
        else:
            assert process.returncode == 0 and "Deleted" in out
    with HistoryStore(data_dir / "history.sqlite3") as store:
        assert [c.id for c in store.list_conversations()] == [keep]


def test_the_api_key_never_reaches_the_history_or_an_export(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.default_reply = stream_text(["The ", "answer ", "is ", "42."])
    asked = run_toki(["ask", "--usage", "what is the answer?"], toki_env)
    assert asked.returncode == 0, asked.stderr
    request = next(iter(fake_server.chat_requests()))
    assert request.bearer_token == TEST_API_KEY  # the key was really in play
    exports = [run_toki(["history", "export", "last", "--format", form], toki_env) for form in ("json", "md")]
    shown = run_toki(["history", "show", "last", "--json"], toki_env)
    for result in (*exports, shown):
        assert result.returncode == 0, result.stderr
        assert "42." in result.stdout and TEST_API_KEY not in result.stdout
    data_dir = Path(toki_env["TOKI_DATA_DIR"])
    files = [path for path in data_dir.iterdir() if path.name.startswith("history.sqlite3")]
    assert files
    secret = TEST_API_KEY.encode()
    for path in files:
        assert secret not in path.read_bytes(), path
        assert TEST_API_KEY.encode("utf-16-le") not in path.read_bytes()


def test_resume_naming_no_conversation_exits_before_the_screen_opens(toki_env: dict[str, str]) -> None:
    with HistoryStore(Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3") as opened:
        kept = seed(opened, "question", "answer")
    wrong = "0" if not kept.startswith("0") else "1"
    result = run_toki(["--resume", wrong], toki_env, timeout=20)
    assert result.returncode == 2 and "\x1b" not in result.stdout  # like --preset nope: refused before the screen
    assert result.stderr == (
        f"toki: --resume {wrong}: no conversation id starts with '{wrong}'; "
        "`toki history list` lists the conversations\n"
    )
