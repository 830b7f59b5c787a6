"""The hostile corpus through every command that prints outside text: `toki ask` (reply, reasoning, a server's
error message, mid-stream error events, tool calls as JSON), `toki ask --compare` (headers and the summary table),
`toki models` (ids), `toki config show` (config values), and `toki history list/show/search/export` (titles,
bodies, model ids, errors, tool calls). Nothing in it acts on the terminal, a value that holds one line stays on
one line (a line break in a model id must not forge a row), and every command succeeds or fails cleanly."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_toki
from tests.fakes.models import models_reply
from tests.fakes.replies import openai_error_reply
from tests.fakes.server import FakeServer, stream_error, stream_text, stream_tool_calls
from tests.hostile import HOSTILE, HOSTILE_TEXT, MARKUP_CLOSE, assert_inert, storable, toml_string
from toki_tui.core.store.history_store import HistoryStore


def assert_clean_run(result_stdout: str, result_stderr: str) -> None:
    assert_inert(result_stdout)
    assert_inert(result_stderr)
    assert "Traceback" not in result_stderr
    assert "\r" not in result_stdout and "\r" not in result_stderr, "a carriage return could overwrite a line"


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


FORGED_ROW = "evil\r\nforged/model  1  $0.00/M"
"""A model id with a line break: printed raw, it would add a row of its own to a table."""


def test_ask_prints_hostile_tool_calls_as_inert_lossless_json(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps([{"type": "function", "function": {"name": "f", "parameters": {}}}]))
    arguments = json.dumps({"a": HOSTILE}, ensure_ascii=False)
    fake_server.script(stream_tool_calls([{"id": "c1", "name": storable(HOSTILE), "arguments": arguments}]))
    result = run_toki(["ask", "--no-save", "--tools", str(tools_file), "weather?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert_clean_run(result.stdout, result.stderr)
    call = json.loads(result.stdout)["tool_calls"][0]["function"]
    assert call["name"] == storable(HOSTILE), "the JSON keeps the name as sent"
    assert json.loads(call["arguments"]) == {"a": HOSTILE.replace("\ud800", "\ufffd")}


def test_a_hostile_mid_stream_error_is_one_inert_line(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_error("openai", message=FORGED_ROW + storable(HOSTILE)))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 1
    assert_clean_run(result.stdout, result.stderr)
    assert next(line for line in result.stderr.splitlines() if "forged/model" in line).startswith("toki: ")


def test_compare_and_models_keep_hostile_ids_on_one_line(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script_models(models_reply(ids=[FORGED_ROW, HOSTILE, "plain/model"]))
    listed = run_toki(["models"], toki_env)
    assert listed.returncode == 0, listed.stderr
    assert_clean_run(listed.stdout, listed.stderr)
    assert len(listed.stdout.splitlines()) == 3, "one row per model"
    compared = run_toki(["ask", "--no-save", "--compare", f"{FORGED_ROW},plain/model", "hi"], toki_env)
    assert compared.returncode == 0, compared.stderr
    assert_clean_run(compared.stdout, compared.stderr)
    lines = compared.stdout.splitlines()
    assert not [line for line in lines if line.startswith("forged/model")], "the id forged a line"
    assert [line for line in lines if line.startswith("── evil forged/model")]


def test_config_show_prints_hostile_config_values_inertly(toki_env: dict[str, str]) -> None:
    config = Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml"
    value = toml_string(HOSTILE + FORGED_ROW)
    config.write_text(
        f"default_model = {value}\ntheme = {value}\n[parameters]\nsystem_prompt = {value}\n"
        f"[models.{value}]\nprice_in = 1\nprice_out = 2\n",
        encoding="utf-8",
    )
    env = {name: value for name, value in toki_env.items() if name != "TOKI_BASE_URL"}
    result = run_toki(["config", "show"], env)
    assert_clean_run(result.stdout, result.stderr)
    assert not [line for line in result.stdout.splitlines() if line.startswith("forged/model")]
    assert MARKUP_CLOSE in result.stdout


def test_usage_with_impossible_counts_and_a_hostile_model_id(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    # Counts no reply has (10^30 overflowed SQLite when the reply was saved: a traceback) are unknown; the model
    # id in the --usage line stays on it.
    usage = {"prompt_tokens": 10**30, "completion_tokens": -5, "total_tokens": 10**31}
    fake_server.script(stream_text("ok", usage=usage))
    result = run_toki(["ask", "--usage", "-m", f"m\x1b[2J{FORGED_ROW}", "hi"], toki_env)
    assert result.returncode == 0, result.stderr
    assert_clean_run(result.stdout, result.stderr)
    [line] = [line for line in result.stderr.splitlines() if "usage" in line]
    assert line.startswith("toki: usage: no token counts; cost unknown (no price for m")
