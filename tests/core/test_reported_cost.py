"""A charge the server reports for a reply (OpenRouter's `usage.cost`, LiteLLM's `x-litellm-response-cost` header) is
the reply's cost, stored and shown as reported rather than estimated (schema version 5's `cost_source`)."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, completion_reply, stream_text
from toki_tui.cli.ask_costs import usage_line
from toki_tui.cli.usage import cost_source, cost_text, usage_records
from toki_tui.core.api.chunks import parse_usage
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatParams
from toki_tui.core.pricing import Price, format_cost, format_total, reported_charge
from toki_tui.core.reply_facts import detail_rows, reply_measures
from toki_tui.core.session import ChatSession
from toki_tui.core.spend import Spend
from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.export import export_document, import_data
from toki_tui.core.store.history_store import HistoryStore

PRICE = Price(0.27, 1.1, "config")
USAGE = {"prompt_tokens": 1_000, "completion_tokens": 500, "total_tokens": 1_500}
ESTIMATE = 0.00082  # 1,000 x 0.27 + 500 x 1.10, per million


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"cost": 0.0042}, 0.0042),
        ({"cost": 0}, 0.0),  # a free reply really cost 0
        ({"cost": -1}, None),
        ({"cost": float("nan")}, None),
        ({"cost": float("inf")}, None),
        ({"cost": 1e9}, None),  # no reply costs a billion: garbage, not a fortune
        ({"cost": "0.0042"}, None),  # a JSON number, not text
        ({"cost": True}, None),
        ({"cost": None}, None),
        ({"cost": {"usd": 1}}, None),
        # With the user's own provider key, OpenRouter's `cost` is its fee and the provider charged the rest.
        ({"cost": 0.001, "is_byok": True, "cost_details": {"upstream_inference_cost": 0.02}}, 0.021),
        ({"cost": 0.001, "is_byok": True, "cost_details": {"upstream_inference_cost": None}}, None),
        ({"cost": 0.001, "is_byok": True}, None),
        ({"cost": 0.001, "is_byok": False, "cost_details": {"upstream_inference_cost": 0.02}}, 0.001),
    ],
)
def test_the_usage_charge_is_read_with_the_same_care_as_prices(raw: dict[str, Any], expected: float | None) -> None:
    usage = parse_usage({**USAGE, **raw})
    assert usage is not None and usage.prompt_tokens == 1_000
    assert usage.cost == (pytest.approx(expected) if expected is not None else None)
    assert "cost" not in usage.as_dict()  # the token counts stay counts


def test_header_charges_are_decimal_text_checked_like_the_rest() -> None:
    assert reported_charge("0.000123") == pytest.approx(0.000123)
    for bad in ("", "free", "-0.5", "nan", "inf", "1e12", "9" * 80):
        assert reported_charge(bad) is None


def test_a_reported_cost_is_written_without_the_estimate_mark() -> None:
    assert format_cost(0.0012) == "≈$0.0012" and format_cost(0.0012, reported=True) == "$0.0012"
    assert format_cost(0.0, reported=True) == "$0" and format_cost(2.5, reported=True) == "$2.50"
    assert format_total(0.04, 1, reported=True) == "$0.04 + unpriced"
    spend = Spend()
    spend.add(0.01, reported=True)
    assert spend.text == "$0.01"
    spend.add(0.01)  # an estimate in the total makes all of it one
    assert spend.text == "≈$0.02"


def _session(fake_server: FakeServer, store: HistoryStore, **params: Any) -> tuple[ChatSession, ChatClient]:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    prices = {"m": PRICE}
    session = ChatSession(
        client=client, store=store, endpoint_name="toki", model="m", params=ChatParams(**params), price_of=prices.get
    )
    return session, client


async def test_a_reported_charge_is_stored_as_the_replys_cost(fake_server: FakeServer, store: HistoryStore) -> None:
    session, client = _session(fake_server, store)
    fake_server.script(
        stream_text("charged", usage=USAGE, usage_extra={"cost": 0.00421}),
        stream_text("nonsense charge", usage=USAGE, usage_extra={"cost": -1}),
    )
    await drain(session.send("one"))
    run = session.last_run
    assert run is not None and (run.cost, run.cost_reported) == (0.00421, True)
    assert usage_line(run).endswith("; cost $0.0042 (reported by the server)")
    await drain(session.send("two"))
    assert session.last_run is not None and session.last_run.cost_reported is False
    await client.aclose()
    assert session.conversation_id is not None
    replies = [message for message in store.branch(session.conversation_id) if message.role == "assistant"]
    assert [(reply.cost_estimate, reply.cost_reported) for reply in replies] == [
        (0.00421, True),
        (pytest.approx(ESTIMATE), False),  # a negative charge is no report: estimated from the price
    ]
    assert replies[0].price == PRICE  # the price in force is kept all the same
    assert reply_measures(replies[0])[-1] == "$0.0042"
    assert ("Cost", "$0.00421: reported by the server") in detail_rows(replies[0])  # to the digit, as billed
    assert dict(detail_rows(replies[1]))["Cost (estimate)"].startswith("≈$0.00082: 1,000 prompt tokens")
    total = store.usage_total(conversation_id=session.conversation_id)
    assert (total.priced_replies, total.reported_replies, total.cost_reported) == (2, 1, False)
    assert cost_text(total) == "≈$0.005" and cost_source(total) == "mixed"
    # An export keeps where each cost came from, and importing it back keeps it too.
    document = export_document(store, session.conversation_id)
    assert [item["cost_reported"] for item in document["messages"] if item["role"] == "assistant"] == [True, False]
    store.delete_conversation(session.conversation_id)
    import_data(store, document)
    again = [message for message in store.branch(session.conversation_id) if message.role == "assistant"]
    assert [reply.cost_reported for reply in again] == [True, False]


async def test_litellms_charge_header_prices_a_whole_reply(fake_server: FakeServer, store: HistoryStore) -> None:
    session, client = _session(fake_server, store, stream=False)
    charged = completion_reply("whole", usage=USAGE)
    fake_server.script(
        dataclasses.replace(charged, headers=(("x-litellm-response-cost", "0.000777"),)),
        dataclasses.replace(charged, headers=(("x-litellm-response-cost", "NaN"),)),
    )
    await drain(session.send("one"))
    assert session.last_run is not None and (session.last_run.cost, session.last_run.cost_reported) == (
        0.000777,
        True,
    )
    assert session.reply is not None and session.reply.usage is not None
    assert session.reply.usage.completion_tokens == 500  # the counts are kept with the charge
    await drain(session.send("two"))
    assert session.last_run is not None and session.last_run.cost == pytest.approx(ESTIMATE)
    assert not session.last_run.cost_reported
    await client.aclose()


def test_a_version_4_history_is_upgraded_and_its_costs_stay_estimates(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        schema = store_schema
        for statement in schema.SCHEMA_V1 + schema.SCHEMA_V2 + schema.SCHEMA_V3 + schema.SCHEMA_V4:
            connection.execute(statement)
        connection.execute("INSERT INTO conversations (id, created_at, updated_at) VALUES ('c', 1, 1)")
        for cost in (0.5, None):
            connection.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at, usage, prompt_tokens, "
                "completion_tokens, cost_estimate) VALUES ('c', 'assistant', 'a', ?, ?, 7, 3, ?)",
                (time.time(), '{"prompt_tokens": 7, "completion_tokens": 3}', cost),
            )
        connection.execute("PRAGMA user_version = 4")
    store = HistoryStore(path)
    assert store.open().migrated_from == 4
    with store:
        total = store.usage_total()
        replies = store.conversation_messages("c")
    assert [(reply.cost_estimate, reply.cost_reported) for reply in replies] == [(0.5, False), (None, False)]
    assert (total.priced_replies, total.reported_replies, total.unpriced_replies) == (1, 0, 1)
    assert cost_text(total) == "≈$0.50 + 1 unpriced"
    assert usage_records([total], "model")[0]["cost_source"] == "estimate"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (5,)
        columns = {row[2] for row in connection.execute("PRAGMA index_info(messages_replies_by_time)")}
        assert "cost_source" in columns


@pytest.mark.parametrize(("second", "reported"), [({"cost": 0.002}, True), ({}, False)])
async def test_a_continued_reply_is_reported_only_when_both_parts_were(
    fake_server: FakeServer, store: HistoryStore, second: dict[str, Any], reported: bool
) -> None:
    session, client = _session(fake_server, store)
    conversation = store.create_conversation(endpoint="toki", model="m")
    asked = store.add_message(conversation.id, role="user", content="Tell me about rivers")
    row = store.start_reply(conversation.id, parent_id=asked.id, model="m", endpoint="toki", params={})
    partial = store.finish_reply(row.id, content="Rivers", status="stopped", cost_estimate=0.001, cost_reported=True)
    session.conversation_id = conversation.id
    session.forget_context(partial.id)
    fake_server.script(stream_text(" flow.", usage=USAGE, usage_extra=second))
    await drain(session.continue_batches())
    await client.aclose()
    [reply] = store.siblings(partial.id)
    expected = 0.003 if reported else 0.001 + ESTIMATE
    assert (reply.cost_estimate, reply.cost_reported) == (pytest.approx(expected), reported)
