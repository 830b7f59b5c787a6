"""Each reply's estimated cost in the history (schema version 4), and the sums `toki usage` and the budget read."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, stream_text
from tests.usage_history import MODELS, UNPRICED_MODEL, Expected, generate_usage_history
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatParams
from toki_tui.core.pricing import Price
from toki_tui.core.session import ChatSession
from toki_tui.core.spend import Spend, budget_crossed, budget_message, is_unpriced
from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.core.store.usage import parse_since, start_of_day

NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    path = tmp_path_factory.mktemp("usage") / "history.sqlite3"
    return path, generate_usage_history(path, 3_000, conversations=15, now=NOW)


def test_sums_per_model_match_the_replies_written(generated: tuple[Path, Expected]) -> None:
    path, expected = generated
    with HistoryStore(path) as store:
        rows = {row.key: row for row in store.usage("model")}
        recent = {row.key: row for row in store.usage("model", since=expected.cut)}
    assert set(rows) == set(MODELS)
    for sums, found in ((expected.by_model, rows), (expected.since_cut, recent)):
        for model, (replies, prompt, completion, cost, unpriced) in sums.items():
            row = found[model]
            assert (row.replies, row.prompt_tokens, row.completion_tokens) == (replies, prompt, completion)
            assert row.priced_cost == pytest.approx(cost) and row.unpriced_replies == unpriced
    assert rows[UNPRICED_MODEL].cost is None  # unknown, never 0
    assert rows[UNPRICED_MODEL].unpriced_replies > 0 and rows[UNPRICED_MODEL].prompt_tokens > 0
    priced = rows[MODELS[0]]
    assert priced.unpriced_replies == 0 and priced.cost == priced.priced_cost > 0


def test_days_and_conversations_add_up_to_the_same_total(generated: tuple[Path, Expected]) -> None:
    path, _ = generated
    with HistoryStore(path) as store:
        total = store.usage_total()
        days = store.usage("day")
        conversations = store.usage("conversation")
        one = store.usage_total(conversation_id=conversations[0].key)
    assert [row.key for row in days] == sorted(row.key for row in days)
    assert all(datetime.strptime(row.key, "%Y-%m-%d") for row in days)
    assert len(conversations) == 15 and all(row.title and row.title.startswith("talk ") for row in conversations)
    for grouping in (days, conversations):
        assert sum(row.prompt_tokens for row in grouping) == total.prompt_tokens
        assert sum(row.completion_tokens for row in grouping) == total.completion_tokens
        assert sum(row.unpriced_replies for row in grouping) == total.unpriced_replies
        assert sum(row.priced_cost for row in grouping) == pytest.approx(total.priced_cost)
    assert (one.prompt_tokens, one.replies) == (conversations[0].prompt_tokens, conversations[0].replies)
    tokens = [row.prompt_tokens + row.completion_tokens for row in conversations]
    assert tokens == sorted(tokens, reverse=True)


def test_the_sums_read_the_replies_index_alone(generated: tuple[Path, Expected]) -> None:
    path, _ = generated
    with contextlib.closing(sqlite3.connect(path)) as connection:
        from toki_tui.core.store.usage import _FROM_REPLIES, _KEYS, _SUMS

        for key in _KEYS.values():
            plan = connection.execute(f"EXPLAIN QUERY PLAN SELECT {key}, {_SUMS} {_FROM_REPLIES} GROUP BY 1", (0,))
            assert "COVERING INDEX messages_replies_by_time" in " ".join(str(row) for row in plan.fetchall())


@pytest.mark.parametrize(
    ("text", "seconds_back"), [("30m", 1_800), ("24h", 86_400), ("7d", 604_800), (" 2W ", 1_209_600)]
)
def test_since_spans(text: str, seconds_back: float) -> None:
    assert parse_since(text, now=NOW) == NOW - seconds_back


def test_since_dates_and_bad_values() -> None:
    assert parse_since("2026-11-01") == datetime(2026, 11, 1).timestamp()
    for bad in ("", "7", "d", "-7d", "7y", "yesterday", "2026-13-01", "1234567d"):
        with pytest.raises(ValueError, match="30m, 24h, 7d or 2w, or a date such as 2026-11-01"):
            parse_since(bad, now=NOW)
    assert start_of_day(datetime(2026, 11, 30, 15, 4).timestamp()) == datetime(2026, 11, 30).timestamp()


async def test_a_reply_stores_its_cost_with_the_price_in_force(fake_server: FakeServer, store: HistoryStore) -> None:
    prices = {"m": Price(0.27, 1.1, "config")}
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(
        client=client, store=store, endpoint_name="toki", model="m", params=ChatParams(), price_of=prices.get
    )
    usage = {"prompt_tokens": 1_000, "completion_tokens": 500, "total_tokens": 1_500}
    fake_server.script(
        stream_text("priced", usage=usage), stream_text("unpriced", usage=usage), stream_text("none", usage=False)
    )
    await drain(session.send("one"))
    assert session.last_run.cost == pytest.approx(0.00082)
    session.model = "other"
    await drain(session.send("two"))
    assert session.last_run.cost is None
    session.model = "m"
    await drain(session.send("three"))
    await client.aclose()
    assert session.conversation_id is not None
    replies = [message for message in store.branch(session.conversation_id) if message.role == "assistant"]
    assert [(reply.cost_estimate, reply.price) for reply in replies] == [
        (pytest.approx(0.00082), Price(0.27, 1.1, "config")),
        (None, None),
        (None, Price(0.27, 1.1, "config")),  # a price, but no usage reported: the cost stays unknown
    ]
    total = store.usage_total(conversation_id=session.conversation_id)
    assert (total.prompt_tokens, total.completion_tokens, total.unpriced_replies) == (2_000, 1_000, 2)
    assert total.cost is None and total.priced_cost == pytest.approx(0.00082)


def test_a_version_3_history_keeps_its_tokens_and_has_no_costs(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for statement in store_schema.SCHEMA_V1 + store_schema.SCHEMA_V2 + store_schema.SCHEMA_V3:
            connection.execute(statement)
        connection.execute("INSERT INTO conversations (id, created_at, updated_at) VALUES ('c', 1, 1)")
        for usage in ('{"prompt_tokens": 7, "completion_tokens": 3}', "not json", '{"prompt_tokens": -4}', None):
            connection.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at, usage) "
                "VALUES ('c', 'assistant', 'a', ?, ?)",
                (time.time(), usage),
            )
        connection.execute("PRAGMA user_version = 3")
    with HistoryStore(path) as store:
        total = store.usage_total()
        replies = store.conversation_messages("c")
    assert (total.replies, total.prompt_tokens, total.completion_tokens) == (4, 7, 3)
    assert total.unpriced_replies == 4 and total.cost is None
    assert len(replies) == 4 and all(reply.cost_estimate is None and reply.price is None for reply in replies)


def test_the_budget_warns_for_the_one_reply_that_crosses_it() -> None:
    budget, reply = 1.0, 0.4
    totals = [0.4, 0.8, 1.2, 1.6]  # today's priced total after each reply
    assert [budget_crossed(total, reply, budget) for total in totals] == [False, False, True, False]
    assert budget_crossed(1.0, 0.2, budget)  # reaching it exactly counts
    assert not budget_crossed(5.0, None, budget) and not budget_crossed(5.0, 0.0, budget)
    assert not budget_crossed(5.0, 5.0, None)
    assert budget_message(1.2, 3, budget) == (
        "today's replies cost ≈$1.20 (estimate) (not counting 3 unpriced replies), over your budget_per_day of $1.00"
    )
    assert "(not counting 1 unpriced reply)," in budget_message(1.2, 1, budget)


def test_running_totals_say_what_is_unpriced() -> None:
    spend = Spend()
    assert spend.text == ""
    spend.add(None, unpriced=is_unpriced(None, None, "error", answered=False))  # failed before any byte: free
    assert spend.text == ""
    spend.add(None, unpriced=is_unpriced(None, {"prompt_tokens": 3}, "error", answered=False))
    assert spend.text == "unpriced"
    assert is_unpriced(None, None, "error", answered=True)  # cut off mid-stream without usage: not free
    spend.add(0.0123, unpriced=False)
    assert spend.text == "≈$0.012 + unpriced"
    assert Spend(cost=0.0, priced=1).text == "≈$0"


def test_absurd_token_counts_do_not_stop_the_sums(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    for _ in range(2):
        reply = store.start_reply(conversation.id, parent_id=None, model="m", endpoint="toki", params={})
        store.finish_reply(
            reply.id, content="x", status="complete", usage={"prompt_tokens": 2**62, "completion_tokens": 1}
        )
    total = store.usage_total()
    assert total.prompt_tokens == 2**63 and total.completion_tokens == 2 and total.unpriced_replies == 2


def test_a_reply_cut_off_after_the_server_answered_is_unpriced_not_free(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    for ttft in (None, 0.2):  # a refused request (free), then a connection dropped mid-reply without usage
        reply = store.start_reply(conversation.id, parent_id=None, model="m", endpoint="toki", params={})
        store.finish_reply(reply.id, content="partial" if ttft else "", status="error", ttft=ttft, error="dropped")
    total = store.usage_total()
    assert (total.replies, total.unpriced_replies, total.cost) == (2, 1, None)
    [row] = store.usage("model")
    assert row.unpriced_replies == 1 and row.cost is None
    assert store.usage_total(conversation_id=conversation.id).unpriced_replies == 1
