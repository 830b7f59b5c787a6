"""The hostile corpus through every command that prints outside text: `toki ask` (reply, reasoning, a server's
error message), `toki models` (ids), and `toki history list/show/search/export` (titles, bodies, model ids,
errors, tool calls). Nothing in it acts on the terminal, and every command still succeeds or fails cleanly."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run_toki
from tests.fakes.models import models_reply
from tests.fakes.replies import openai_error_reply
from tests.fakes.server import FakeServer, stream_text
from tests.hostile import HOSTILE, HOSTILE_TEXT, MARKUP_CLOSE, assert_inert, storable
from toki_tui.core.store.history_store import HistoryStore


def assert_clean_run(result_stdout: str, result_stderr: str) -> None:
    assert_inert(result_stdout)
    assert_inert(result_stderr)
    assert "Traceback" not in result_stderr


def test_ask_prints_a_hostile_reply_reasoning_and_error_inertly(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    fake_server.script(
        stream_text([HOSTILE_TEXT[:300], HOSTILE_TEXT[300:]], reasoning=[HOSTILE[:50], HOSTILE[50:]]),
        openai_error_reply(400, HOSTILE),
    )
    result = run_toki(["ask", "first"], toki_env)
    assert result.returncode == 0, result.stderr
    assert_clean_run(result.stdout, result.stderr)
    assert MARKUP_CLOSE in result.stdout
    failed = run_toki(["ask", "second"], toki_env)
    assert failed.returncode != 0
    assert_clean_run(failed.stdout, failed.stderr)
    assert MARKUP_CLOSE in failed.stderr


def test_models_prints_hostile_ids_inertly(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script_models(models_reply(ids=[HOSTILE, "plain/model"]))
    result = run_toki(["models"], toki_env)
    assert result.returncode == 0, result.stderr
    assert_clean_run(result.stdout, result.stderr)
    assert "plain/model" in result.stdout and MARKUP_CLOSE in result.stdout


def test_history_commands_print_a_hostile_conversation_inertly(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    store = HistoryStore(Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3")
    store.open()
    try:
        conversation = store.create_conversation(endpoint="toki", model=storable(HOSTILE), title=storable(HOSTILE))
        question = store.add_message(conversation.id, role="user", content=storable(HOSTILE_TEXT))
        reply = store.start_reply(
            conversation.id, parent_id=question.id, model=storable(HOSTILE), endpoint="toki", params={}
        )
        store.finish_reply(
            reply.id,
            content=storable(HOSTILE_TEXT),
            reasoning=storable(HOSTILE_TEXT),
            status="error",
            error=storable(HOSTILE),
            tool_calls=[{"id": "c", "type": "function", "function": {"name": storable(HOSTILE), "arguments": "{}"}}],
        )
    finally:
        store.close()
    for args in (
        ["history", "list"],
        ["history", "show", "last"],
        ["history", "search", "click"],
        ["history", "export", "last", "--format", "md"],
    ):
        result = run_toki(args, toki_env)
        assert result.returncode == 0, (args, result.stderr)
        assert_clean_run(result.stdout, result.stderr)
        assert MARKUP_CLOSE in result.stdout or "click" in result.stdout, args
