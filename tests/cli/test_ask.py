"""`toki ask` as a subprocess against the fake server: stdout, stderr, exit codes and the requests sent."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import popen_toki, read_stdout_until, run_toki
from tests.conftest import TEST_API_KEY
from tests.fakes.server import (
    FakeServer,
    json_reply,
    openai_error_reply,
    rate_limit_reply,
    stream_error,
    stream_text,
    stream_tool_calls,
)


def test_streams_the_reply_to_stdout(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("Paris is the capital of France."))
    result = run_toki(["ask", "--no-save", "Capital", "of", "France?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Paris is the capital of France."
    assert result.stderr == ""
    [request] = fake_server.chat_requests()
    body = request.json()
    assert body["messages"] == [{"role": "user", "content": "Capital of France?"}]
    assert body["model"] == "deepseek/deepseek-chat-v3"
    assert request.bearer_token == TEST_API_KEY


def test_piped_stdin_comes_first_then_the_prompt(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("ok"))
    result = run_toki(["ask", "--no-save", "Summarise this"], toki_env, stdin="line one\nline two\n")
    assert result.returncode == 0, result.stderr
    content = fake_server.chat_requests()[0].json()["messages"][-1]["content"]
    assert content == "line one\nline two\n\nSummarise this"


def test_every_parameter_flag_reaches_the_request(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text('{"a": 1}'))
    args = [
        "ask", "--no-save", "-m", "other/model", "-s", "Be terse.", "--temperature", "0.2", "--top-p", "0.5",
        "--max-tokens", "64", "--frequency-penalty", "1", "--presence-penalty", "-1", "--json", "--no-stream", "hi",
    ]  # fmt: skip
    result = run_toki(args, toki_env)
    assert result.returncode == 0, result.stderr
    body = fake_server.chat_requests()[0].json()
    assert body["model"] == "other/model"
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.2, 0.5, 64)
    assert (body["frequency_penalty"], body["presence_penalty"]) == (1.0, -1.0)
    assert body["response_format"] == {"type": "json_object"}
    assert body["stream"] is False


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--temperature", "3", "from 0 to 2"),
        ("--top-p", "1.5", "from 0 to 1"),
        ("--max-tokens", "0", ">= 1"),
        ("--max-tokens", "ten", "integer"),
        ("--presence-penalty", "-2.5", "from -2 to 2"),
    ],
)
def test_out_of_range_values_are_refused_before_any_request(
    fake_server: FakeServer, toki_env: dict[str, str], flag: str, value: str, expected: str
) -> None:
    result = run_toki(["ask", "--no-save", flag, value, "hi"], toki_env)
    assert result.returncode == 2
    assert expected in result.stderr and flag in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake_server.chat_requests() == []


def test_missing_key_fails_fast_naming_the_variable(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    env = dict(toki_env)
    del env["TOKI_API_KEY"]
    del env["TOKI_BASE_URL"]  # the default TOKI endpoint, which needs a key; toki stops before any request
    result = run_toki(["ask", "--no-save", "hi"], env)
    assert result.returncode == 2
    assert "TOKI_API_KEY" in result.stderr and "Traceback" not in result.stderr
    assert fake_server.requests == []


def test_bad_key_is_exit_1_with_one_readable_line_and_no_key(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(openai_error_reply(401, "Incorrect API key provided: sk-test-1234567890"))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr and "TOKI_API_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_mid_stream_error_keeps_what_was_printed(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_error("openrouter", before="The first half", message="Provider disconnected"))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 1
    assert result.stdout.startswith("The first half")
    assert "Provider disconnected" in result.stderr


def test_reasoning_goes_to_stderr(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("42", reasoning="Deep thought"))
    result = run_toki(["ask", "--no-save", "meaning?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "42"
    assert "Deep thought" in result.stderr


def test_rate_limit_is_retried_and_announced(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(rate_limit_reply(retry_after="0.1"), stream_text("after the wait"))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "after the wait"
    assert "HTTP 429; retrying in 0.1 s" in result.stderr


def test_a_wait_too_long_to_honour_is_reported_with_its_length(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    fake_server.script(rate_limit_reply(retry_after="300", message="Rate limit reached for model"))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 1 and len(fake_server.chat_requests()) == 1
    assert result.stderr.splitlines() == [
        "toki: HTTP 429: rate limited; wait a little and try again (server said: Rate limit reached for model) "
        "(the server asks to wait 300 s)"
    ]


def test_model_output_escape_sequences_never_reach_the_terminal(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    fake_server.script(stream_text(["safe ", "\x1b]52;c;cHduZWQ=\x07", "\x1b[2J", "text\r\n"]))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout
    # The sequences go with their payload (the planted clipboard text never shows), even split over deltas.
    assert result.stdout == "safe text\n"


def test_tool_calls_are_printed_as_json(fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps(tools))
    fake_server.script(stream_tool_calls([{"id": "c1", "name": "get_weather", "arguments": '{"city":"Oslo"}'}]))
    result = run_toki(["ask", "--no-save", "--tools", str(tools_file), "--tool-choice", "auto", "weather?"], toki_env)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city":"Oslo"}'}
    body = fake_server.chat_requests()[0].json()
    assert body["tools"] == tools and body["tool_choice"] == "auto"


def test_nothing_to_ask_is_a_usage_error(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    result = run_toki(["ask", "--no-save"], toki_env, stdin="")
    assert result.returncode == 2
    assert "nothing to ask" in result.stderr


def test_ask_never_imports_textual_or_rich(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("ok"))
    code = (
        "import sys\n"
        "from toki_tui.cli import main\n"
        "status = main(['ask', 'hi'])\n"
        "loaded = [m for m in ('textual', 'rich') if m in sys.modules]\n"
        "sys.stderr.write('LOADED=' + ','.join(loaded))\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=toki_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("LOADED=")


def test_interrupt_exits_130_and_keeps_the_partial_reply(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    # 20 s of reply, cut by the signal long before: on a loaded machine this test may see the first words only
    # seconds after toki printed them, and a shorter reply had ended by then (exit 0, not 130).
    fake_server.script(stream_text(["word "] * 400, chunk_delay=0.05))
    process = popen_toki(["ask", "tell me a long story"], toki_env)
    shown = read_stdout_until(process, "word word word")  # some words have streamed
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=20)
    stdout = shown + rest
    assert process.returncode == 130
    assert stdout.startswith("word word")
    [request] = fake_server.chat_requests()
    assert request is not None and request.disconnected.wait(5)
    database = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT role, status, content FROM messages ORDER BY id").fetchall()
    assert [(role, status) for role, status, _ in rows] == [("user", "complete"), ("assistant", "stopped")]
    assert rows[1][2].startswith("word word") and rows[1][2] in stdout


def test_a_reply_the_server_cut_short_is_an_error_not_a_complete_reply(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    # DeepSeek under load ends a stream with finish_reason "insufficient_system_resource" mid-answer.
    fake_server.script(stream_text("Half an", finish_reason="insufficient_system_resource", usage=False))
    result = run_toki(["ask", "hi"], toki_env)
    assert result.returncode == 1 and result.stdout.strip() == "Half an"
    assert result.stderr.splitlines() == [
        "toki: the server ran out of resources and stopped the reply early; retry later"
    ]
    database = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    with sqlite3.connect(database) as connection:
        status, content = connection.execute("SELECT status, content FROM messages WHERE role = 'assistant'").fetchone()
    assert (status, content) == ("error", "Half an")


def test_exchanges_are_saved_and_continued(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("First answer."), stream_text("Second answer."), stream_text("Fresh."))
    assert run_toki(["ask", "first question"], toki_env).returncode == 0
    assert run_toki(["ask", "-c", "follow-up"], toki_env).returncode == 0
    assert run_toki(["ask", "new topic"], toki_env).returncode == 0
    second = fake_server.chat_requests()[1].json()["messages"]
    assert [m["content"] for m in second] == ["first question", "First answer.", "follow-up"]
    third = fake_server.chat_requests()[2].json()["messages"]
    assert [m["content"] for m in third] == ["new topic"]
    listing = run_toki(["history", "list", "--json"], toki_env)
    assert listing.returncode == 0, listing.stderr
    assert len(json.loads(listing.stdout)) == 2


def test_continuing_a_reply_the_chat_is_still_receiving_says_so(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    from toki_tui.core.store.history_store import HistoryStore

    with HistoryStore(Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3") as store:
        conversation = store.create_conversation(endpoint="toki", model="m")
        asked = store.add_message(conversation.id, role="user", content="tell me")
        # Owned by this (live) process, as the chat's reply would be while it streams.
        reply = store.start_reply(conversation.id, parent_id=asked.id, model="m", endpoint="toki", params={})
        store.checkpoint_reply(reply.id, content="Half of")
    fake_server.script(stream_text("Answer."))
    result = run_toki(["ask", "-c", "and then?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert "still arriving in another toki" in result.stderr
    sent = fake_server.chat_requests()[0].json()["messages"]
    assert [m["content"] for m in sent] == ["tell me", "Half of", "and then?"]


def test_no_save_saves_nothing(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("ephemeral"))
    assert run_toki(["ask", "--no-save", "hi"], toki_env).returncode == 0
    assert not (Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3").exists()


def test_the_key_never_lands_in_the_history(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("fine"))
    assert run_toki(["ask", "hi"], toki_env).returncode == 0
    data_dir = Path(toki_env["TOKI_DATA_DIR"])
    for path in data_dir.iterdir():
        assert TEST_API_KEY.encode() not in path.read_bytes(), path


def test_models_table_and_json(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    from tests.fakes.server import models_reply

    fake_server.models = models_reply(shape="openrouter")
    # The config's price goes over the server's (0.15 / 0.60): it is the one replies are costed at.
    config = Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml"
    config.write_text('[models."openai/gpt-4o-mini"]\nprice_in = 0.5\nprice_out = 2\n', encoding="utf-8")
    table = run_toki(["models"], toki_env)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["MODEL", "CONTEXT", "INPUT", "OUTPUT"]
    assert "deepseek/deepseek-chat-v3" in table.stdout and "unknown" in table.stdout
    rows = {line.split()[0]: line.split()[1:] for line in table.stdout.splitlines()[1:]}
    assert rows["openai/gpt-4o-mini"] == ["128,000", "$0.50/M", "$2.00/M"]
    assert rows["deepseek/deepseek-chat-v3"][1:] == ["$0.27/M", "$1.10/M"]
    as_json = run_toki(["models", "--json"], toki_env)
    listed = {m["id"]: m for m in json.loads(as_json.stdout)}
    assert "deepseek/deepseek-chat-v3" in listed
    assert listed["openai/gpt-4o-mini"]["prompt_price_per_million"] == 0.5
    (cache,) = Path(toki_env["TOKI_CACHE_DIR"]).glob("models-*.json")
    assert '"prompt_price_per_million": 0.15' in cache.read_text(encoding="utf-8")  # the cache keeps the server's


def test_models_failure_is_exit_1(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.models = openai_error_reply(403, "forbidden")
    result = run_toki(["models"], toki_env)
    assert result.returncode == 1 and "HTTP 403" in result.stderr


def test_an_empty_model_list_is_said_not_printed_as_nothing(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    # Ollama with nothing pulled answers {"object": "list", "data": []}.
    fake_server.models = json_reply({"object": "list", "data": []})
    result = run_toki(["models"], toki_env)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr == (
        f"toki: the server at {fake_server.base_url} lists no models (a model id can still be given with -m)\n"
    )


def test_broken_config_is_exit_2_naming_the_file(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    config = Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml"
    config.write_text("[parameters]\ntemperature = 'hot'\n")
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 2
    assert str(config) in result.stderr and "temperature" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_server.requests == []


def test_config_init_writes_a_private_file(toki_env: dict[str, str]) -> None:
    result = run_toki(["config", "init"], toki_env)
    assert result.returncode == 0, result.stderr
    path = Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert run_toki(["config", "show"], toki_env).returncode == 0


def test_base_url_to_a_keyless_local_server_needs_no_key(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    env = {k: v for k, v in toki_env.items() if k not in ("TOKI_API_KEY", "TOKI_BASE_URL")}
    env["TOKI_API_KEY"] = TEST_API_KEY  # the TOKI key must not travel to another host
    fake_server.script(stream_text("local answer"))
    result = run_toki(["ask", "--no-save", "--base-url", fake_server.base_url, "hi"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "local answer"
    [request] = fake_server.chat_requests()
    assert "authorization" not in request.headers


def test_a_closed_pipe_is_quiet(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text(["word "] * 3000, chunk_delay=0.001))
    command = f"{sys.executable} -m toki_tui ask --no-save hi | head -c 20"
    result = subprocess.run(command, shell=True, env=toki_env, capture_output=True, text=True, timeout=60)
    assert result.stdout == "word word word word "
    assert result.stderr == ""


@pytest.mark.parametrize("prompt", ["", "   "])
def test_an_empty_prompt_is_refused(fake_server: FakeServer, toki_env: dict[str, str], prompt: str) -> None:
    result = run_toki(["ask", "--no-save", prompt], toki_env)
    assert result.returncode == 2 and "nothing to ask" in result.stderr
    assert fake_server.requests == []


@pytest.mark.parametrize(
    ("tools", "choice", "expected"),
    [
        (None, "get_weather", "needs --tools"),
        ([{"type": "function", "function": {"name": "get_weather"}}], "nothere", "not a function"),
        ([], None, "non-empty JSON array"),
    ],
)
def test_tool_flags_are_checked_before_any_request(
    fake_server: FakeServer,
    toki_env: dict[str, str],
    tmp_path: Path,
    tools: list | None,
    choice: str | None,
    expected: str,
) -> None:
    args = ["ask", "--no-save"]
    if tools is not None:
        (tmp_path / "tools.json").write_text(json.dumps(tools))
        args += ["--tools", str(tmp_path / "tools.json")]
    if choice is not None:
        args += ["--tool-choice", choice]
    result = run_toki([*args, "hi"], toki_env)
    assert result.returncode == 2 and expected in result.stderr
    assert fake_server.requests == []


def test_tool_calls_after_text_are_still_parseable_json(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps([{"type": "function", "function": {"name": "f", "parameters": {}}}]))
    fake_server.script(stream_tool_calls([{"id": "c1", "name": "f", "arguments": "{}"}], content="Let me check."))
    result = run_toki(["ask", "--no-save", "--tools", str(tools_file), "go"], toki_env)
    assert result.returncode == 0, result.stderr
    text, _, document = result.stdout.partition("\n")
    assert text == "Let me check."
    assert json.loads(document)["tool_calls"][0]["function"]["name"] == "f"


@pytest.mark.parametrize("flags", [["-c", "--conversation", "abc"], ["--conversation", ""], ["--conversation", "zzzz"]])
def test_bad_conversation_flags_are_usage_errors(
    fake_server: FakeServer, toki_env: dict[str, str], flags: list[str]
) -> None:
    result = run_toki(["ask", *flags, "hi"], toki_env)
    assert result.returncode == 2, result.stderr
    assert fake_server.requests == []


def test_a_damaged_history_still_gets_the_question_answered(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("seed"), stream_text("answered anyway"))
    assert run_toki(["ask", "seed"], toki_env).returncode == 0
    database = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    run_toki(["history", "list"], toki_env)  # checkpoints the WAL into the file
    data = bytearray(database.read_bytes())
    data[8192:] = b"\xff" * (len(data) - 8192)  # the schema page survives; the tables' pages do not
    database.write_bytes(bytes(data))
    result = run_toki(["ask", "still there?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "answered anyway"
    assert str(database) in result.stderr
    assert "will not be saved" in result.stderr or ".corrupt-" in result.stderr
    # The damaged file is kept: in place, or moved aside next to it.
    assert any(bytes(data[8192:8300]) in path.read_bytes() for path in database.parent.glob("history.sqlite3*"))
