"""`toki ask --compare`: several models at once, printed apart, with a summary; stored as siblings."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.cli.helpers import run_toki
from tests.fakes.per_model import by_model
from tests.fakes.server import FakeServer, openai_error_reply, rate_limit_reply, stream_tool_calls, text_reply

PRICES = """
budget_per_day = 0.000001
[models."m/priced"]
price_in = 1.0
price_out = 2.0
"""


def test_compare_prints_each_reply_under_its_header_then_a_summary(
    fake_server: FakeServer, toki_env: dict[str, str]
) -> None:
    (Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml").write_text(PRICES, encoding="utf-8")
    fake_server.default_reply = by_model(
        {
            "m/priced": text_reply("Priced answer.", chunk_delay=0.01),
            "m/unpriced": [rate_limit_reply(retry_after="0.1"), text_reply("Unpriced answer.")],
            "m/tool": stream_tool_calls([{"name": "get_time", "arguments": {"zone": "UTC"}, "id": "call_1"}]),
            "m/broke": openai_error_reply(429, "You exceeded your current quota.", code="insufficient_quota"),
        }
    )
    args = [
        "ask",
        "--compare",
        "m/priced,m/broke,m/unpriced,m/tool",
        "--usage",
        "--temperature",
        "0.5",
        "Which",
        "one?",
    ]
    result = run_toki(args, toki_env)

    assert result.returncode == 1  # one model failed; the others are printed all the same
    replies, _, table = result.stdout.partition("\nMODEL")
    assert replies == (
        "── m/priced ──\nPriced answer.\n\n"
        "── m/broke ──\n(failed: HTTP 429: the quota or balance is used up, so waiting will not help; top up or "
        "raise the key's quota (server said: You exceeded your current quota.))\n\n"
        "── m/unpriced ──\nUnpriced answer.\n\n"
        "── m/tool ──\n"
        + json.dumps(
            {
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": '{"zone":"UTC"}'},
                    }
                ]
            },
            indent=2,
        )
        + "\n"
    )
    lines = table.splitlines()
    assert lines[0].split() == ["STATUS", "FIRST", "TOKEN", "TOK/S", "TOKENS", "COST"]
    priced, broke, unpriced, tool = (line.split() for line in lines[1:5])
    assert priced[:2] == ["m/priced", "complete"] and priced[-1].startswith("≈$")
    assert broke[:2] == ["m/broke", "error"] and broke[-1] == "unknown"
    assert unpriced[:2] == ["m/unpriced", "complete"] and unpriced[-1] == "unknown"
    assert tool[:2] == ["m/tool", "complete"]
    assert "m/broke" in result.stderr and "quota" in result.stderr
    assert "toki: m/unpriced: HTTP 429; retrying in 0.1 s (attempt 1)" in result.stderr  # which model waits
    usage_lines = [line for line in result.stderr.splitlines() if ": usage: " in line]  # --usage: one per model
    assert [line.split(":")[1].strip() for line in usage_lines] == ["m/priced", "m/unpriced", "m/tool"]
    assert "cost ≈$" in usage_lines[0] and "cost unknown (no price for m/unpriced)" in usage_lines[1]
    assert "today's replies cost ≈$" in result.stderr and "over your budget_per_day of $0.000001" in result.stderr

    bodies = [request.json() for request in fake_server.chat_requests()]
    models = ["m/broke", "m/priced", "m/tool", "m/unpriced", "m/unpriced"]  # m/unpriced asked again after its 429
    assert sorted(body["model"] for body in bodies) == models
    for body in bodies:
        assert body["messages"] == [{"role": "user", "content": "Which one?"}]
        assert body["temperature"] == 0.5 and body["stream"] is True

    history = Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3"
    with closing(sqlite3.connect(history)) as db:
        rows = db.execute("SELECT id, parent_id, role, model, status FROM messages ORDER BY id").fetchall()
    question = rows[0]
    assert question[2] == "user"
    assert sorted((model, status) for _, parent, _, model, status in rows[1:] if parent == question[0]) == [
        ("m/broke", "error"),
        ("m/priced", "complete"),
        ("m/tool", "complete"),
        ("m/unpriced", "complete"),
    ]
    with closing(sqlite3.connect(history)) as db:
        costs = dict(db.execute("SELECT model, cost_estimate FROM messages WHERE role = 'assistant'").fetchall())
    assert costs["m/priced"] > 0 and costs["m/unpriced"] is None  # each reply stores its own estimate

    # The conversation goes on from the first reply that did not fail.
    fake_server.default_reply = text_reply("next")
    follow = run_toki(["ask", "-c", "and", "then?"], toki_env)
    assert follow.returncode == 0, follow.stderr
    assert [m["content"] for m in fake_server.chat_requests()[-1].json()["messages"]] == [
        "Which one?",
        "Priced answer.",
        "and then?",
    ]


def test_compare_needs_two_to_four_models(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    result = run_toki(["ask", "--no-save", "--compare", "only-one", "hi"], toki_env)
    assert result.returncode == 2
    assert "--compare: compare takes 2 to 4 models, not 1" in result.stderr
    with_mcp = run_toki(["ask", "--no-save", "--compare", "m/a,m/b", "--mcp", "--yes", "hi"], toki_env)
    assert with_mcp.returncode == 2 and "--mcp cannot be combined with --compare" in with_mcp.stderr  # not ignored
    assert fake_server.chat_requests() == []
