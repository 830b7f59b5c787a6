"""`toki models` and `toki ask` against a hostile server: a clear one-line error (no traceback), or the cut
result with a note; never a memory blow-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.helpers import run_toki
from tests.fakes.hostile import compression_bomb, deep_json_stream, deeply_nested, endless_stream
from tests.fakes.server import FakeServer, json_reply, models_reply
from toki_tui.core.api.model_info import MAX_MODELS

MB = 1024 * 1024


def test_models_refuses_a_compression_bomb_with_one_line(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script_models(compression_bomb(64 * MB))
    result = run_toki(["models"], toki_env)
    assert result.returncode == 1
    assert "the server's /models response is larger than 16 MB; toki stopped reading it" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_models_refuses_deep_json_with_one_line(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script_models(json_reply(deeply_nested(100_000)))
    result = run_toki(["models"], toki_env)
    assert result.returncode == 1
    assert "nested more than 128 levels deep" in result.stderr and "Traceback" not in result.stderr


def test_models_says_when_the_list_was_cut(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script_models(models_reply("ids_only", [f"v/m-{i:06d}" for i in range(MAX_MODELS + 1)]))
    result = run_toki(["models"], toki_env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == MAX_MODELS
    assert f"the server listed {MAX_MODELS + 1:,} models; toki keeps only the first {MAX_MODELS:,}" in result.stderr


def test_ask_reports_deep_json_in_a_chunk_and_keeps_the_text(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(deep_json_stream(100_000))
    result = run_toki(["ask", "--no-save", "hi"], toki_env)
    assert result.returncode == 1
    assert result.stdout == "Before the bomb. \n"  # the error starts on its own line
    assert "nested more than 128 levels deep" in result.stderr and "Traceback" not in result.stderr


def test_ask_stops_an_endless_reply_at_the_limit_and_stores_it(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    fake_server.script(endless_stream("x" * 1024))
    result = run_toki(["ask", "go"], toki_env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == 4 * MB
    assert "stopped at toki's reply limit of 4 M characters; the partial reply is kept" in result.stderr
    with sqlite3.connect(Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3") as db:
        status, length = db.execute("SELECT status, length(content) FROM messages WHERE role = 'assistant'").fetchone()
    assert (status, length) == ("length", 4 * MB)
