"""`toki usage` over a generated history (table and --json), and `toki ask`'s cost line and budget warning."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.fakes.server import FakeServer, stream_text
from tests.hostile import HOSTILE, assert_inert, storable
from tests.usage_history import MODELS, UNPRICED_MODEL, generate_usage_history


def _history(env: dict[str, str]) -> Path:
    return Path(env["TOKI_DATA_DIR"]) / "history.sqlite3"


def test_usage_as_json_and_as_a_table(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    path = _history(toki_env)
    expected = generate_usage_history(path, 600, conversations=4)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        hostile = storable(HOSTILE)
        connection.execute("UPDATE conversations SET title = ? WHERE rowid = 1", (hostile,))
        connection.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at, model, prompt_tokens, "
            "completion_tokens, cost_estimate) SELECT id, 'assistant', 'x', ?, ?, 1, 1, 0.5 FROM conversations "
            "WHERE rowid = 1",
            (time.time(), hostile),
        )

    result = run_toki(["usage", "--json"], toki_env)
    assert result.returncode == 0, result.stderr
    rows = {row["model"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {*MODELS, hostile}
    for model, (replies, prompt, completion, cost, unpriced) in expected.by_model.items():
        row = rows[model]
        assert (row["replies"], row["prompt_tokens"], row["completion_tokens"]) == (replies, prompt, completion)
        assert row["unpriced_replies"] == unpriced and row["priced_cost"] == pytest.approx(cost)
        assert row["cost"] == (None if unpriced else pytest.approx(cost))
    assert rows[UNPRICED_MODEL]["cost"] is None  # unknown, never 0

    table = run_toki(["usage", "--by", "conversation", "--since", "90d"], toki_env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["conversation", "replies"] and lines[-1].startswith("total")
    assert len(lines) == 1 + 4 + 1
    assert "unpriced" in lines[-1] and "≈$" in lines[-1]
    assert_inert(table.stdout)
    assert "hostile" in table.stdout  # the title is shown, as plain text

    top = run_toki(["usage", "--by", "conversation", "--since", "90d", "--limit", "2"], toki_env)
    assert top.returncode == 0, top.stderr
    top_lines = top.stdout.splitlines()
    assert len(top_lines) == 1 + 2 + 1
    assert [line.split() for line in top_lines[1:3]] == [line.split() for line in lines[1:3]]  # the two biggest
    assert top_lines[-1].split() == lines[-1].split()  # and the same total
    one = run_toki(["usage", "--by", "conversation", "--since", "90d", "--limit", "1"], toki_env).stdout.splitlines()
    assert len(one) == 1 + 1 + 1 and one[-1].split() == lines[-1].split()  # one row: the total is still there


def test_a_bad_since_is_a_usage_error(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    result = run_toki(["usage", "--since", "last tuesday"], toki_env)
    assert result.returncode == 2
    assert result.stderr.startswith("toki: --since 'last tuesday': expected a span such as 30m, 24h, 7d or 2w")
    assert result.stdout == ""
    assert "expected 1 or more" in run_toki(["usage", "--limit", "0"], toki_env).stderr


def test_ask_shows_the_cost_and_warns_when_its_reply_takes_the_day_over_budget(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    config = Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml"
    config.write_text(
        'budget_per_day = 0.001\n[models."deepseek/deepseek-chat-v3"]\nprice_in = 0.5\nprice_out = 2.0\n',
        encoding="utf-8",
    )
    usage = {"prompt_tokens": 1_000, "completion_tokens": 200, "total_tokens": 1_200}  # 0.0009 a reply
    fake_server.script(*(stream_text("ok", usage=usage) for _ in range(2)))
    results = [run_toki(["ask", "--usage", "hi"], toki_env) for _ in range(2)]
    assert [result.returncode for result in results] == [0, 0]
    first, second = (result.stderr.splitlines() for result in results)
    assert first == [
        "toki: usage: prompt_tokens 1000, completion_tokens 200, total_tokens 1200; cost ≈$0.0009 (estimate)"
    ]
    assert second[-1] == ("toki: today's replies cost ≈$0.0018 (estimate), over your budget_per_day of $0.001")
    with contextlib.closing(sqlite3.connect(_history(toki_env))) as connection:
        costs = connection.execute("SELECT cost_estimate FROM messages WHERE role = 'assistant'").fetchall()
    assert costs == [(pytest.approx(0.0009),)] * 2


def test_usage_flag_says_so_when_the_server_sends_no_token_counts(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    # Servers that ignore stream_options.include_usage (Ollama's older /v1, some proxies) send no usage at all.
    fake_server.script(stream_text("ok", usage=False))
    result = run_toki(["ask", "--usage", "hi"], toki_env)
    assert result.returncode == 0 and result.stdout.strip() == "ok"
    assert result.stderr.splitlines() == [
        "toki: usage: the server reported no token counts for this reply; cost unknown"
    ]
