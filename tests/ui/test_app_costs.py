"""A reply's estimated cost in the chat: priced from the server's model list, stored with the reply, shown in its
header and the status line's totals, and the daily budget's warning, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.models import models_reply
from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text
from toki_tui.core.pricing import Price
from toki_tui.ui.widgets.status_line import StatusLine

USAGE = {"prompt_tokens": 1_000, "completion_tokens": 500, "total_tokens": 1_500}
"""At the fake list's deepseek/deepseek-chat-v3 prices (0.27 and 1.10 per million): 0.00082 a reply."""


async def send_and_wait(pilot: Any, harness: AppHarness, text: str) -> None:
    count = len(harness.server.chat_requests())
    await enter_text(pilot, text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(harness.server.chat_requests()) > count and not harness.screen.streaming)
    await harness.app.workers.wait_for_complete()


def budget_notes(harness: AppHarness) -> list[str]:
    return [str(n.message) for n in harness.app._notifications if n.title == "Budget"]


async def test_replies_are_priced_stored_shown_and_the_budget_warns_once(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("budget_per_day = 0.0015\n", encoding="utf-8")
    fake_server.script_models(models_reply("openrouter"))
    fake_server.script(
        stream_text("first answer", usage=USAGE),
        stream_text("second answer", usage=USAGE),
        stream_text("third, unmeasured", usage=False),
        stream_text("fourth, charged", usage={**USAGE, "cost": 0.0042}),  # OpenRouter says what it charged
    )
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40), notifications=True) as pilot:
        model = harness.screen.session.model
        await wait_until(pilot, lambda: harness.app.prices.price_for(model) is not None)  # the server's list
        status = harness.screen.query_one(StatusLine)

        await send_and_wait(pilot, harness, "one")
        assert "· ≈$0.00082" in screen_plain_text(harness.app)  # the reply's header
        await wait_until(pilot, lambda: status.costs == "conv ≈$0.00082 · session ≈$0.00082")
        assert budget_notes(harness) == []

        await send_and_wait(pilot, harness, "two")  # today: 0.00164, over 0.0015
        await wait_until(pilot, lambda: budget_notes(harness))
        assert budget_notes(harness) == [
            "Today's replies cost ≈$0.0016 (estimate), over your budget_per_day of $0.0015"
        ]
        await send_and_wait(pilot, harness, "three")  # no usage reported: unpriced, and no second warning
        await wait_until(pilot, lambda: "unpriced" in status.costs)
        assert status.costs == "conv ≈$0.0016 + unpriced · session ≈$0.0016 + unpriced"
        assert "unpriced" in str(status.render())
        assert len(budget_notes(harness)) == 1
        await send_and_wait(pilot, harness, "four")  # the charge is the cost, shown as no estimate
        await wait_until(pilot, lambda: "0.0058" in status.costs)
        assert "· $0.0042" in screen_plain_text(harness.app) and "≈$0.0042" not in screen_plain_text(harness.app)
        assert status.costs == "conv ≈$0.0058 + unpriced · session ≈$0.0058 + unpriced"  # with estimates: ≈
        conversation_id = harness.screen.session.conversation_id
    assert conversation_id is not None
    replies = [m for m in harness.store.branch(conversation_id) if m.role == "assistant"]
    server_price = Price(0.27, 1.1, "server")
    assert [(m.content, m.cost_estimate, m.price) for m in replies] == [
        ("first answer", pytest.approx(0.00082), server_price),
        ("second answer", pytest.approx(0.00082), server_price),
        ("third, unmeasured", None, server_price),
        ("fourth, charged", 0.0042, server_price),
    ]
    assert [m.cost_reported for m in replies] == [False, False, False, True]


def test_status_line_totals_appear_once_a_reply_is_priced() -> None:
    from toki_tui.core.spend import Spend
    from toki_tui.core.store.usage import UsageRow
    from toki_tui.ui.screens.cost_tracker import costs_text

    unpriced = UsageRow("total", replies=3, prompt_tokens=9, completion_tokens=9, priced_cost=0.0, unpriced_replies=3)
    assert costs_text(unpriced, Spend(unpriced=3)) == ""  # no price anywhere: nothing to claim, not "$0"
    mixed = UsageRow("total", 3, 9, 9, priced_cost=0.5, unpriced_replies=1, priced_replies=2)
    assert costs_text(mixed, Spend(cost=0.0, priced=1)) == "conv ≈$0.50 + unpriced · session ≈$0"
    assert costs_text(None, Spend(cost=0.25, priced=1, unpriced=2)) == "session ≈$0.25 + unpriced"
    # Every priced reply's cost reported by the server: the totals are no estimates.
    reported = UsageRow("total", 2, 9, 9, priced_cost=0.5, unpriced_replies=0, priced_replies=2, reported_replies=2)
    assert costs_text(reported, Spend(cost=0.5, priced=2, reported=2)) == "conv $0.50 · session $0.50"


def test_a_narrow_status_line_leaves_out_the_usage_and_endpoint_before_the_costs() -> None:
    from toki_tui.ui.widgets.status_line import StatusLine, fit_to_width

    status = StatusLine()
    status.model_id, status.endpoint_name = "deepseek/deepseek-chat-v3", "127.0.0.1-8931"
    status.last_usage = {"prompt_tokens": 12, "completion_tokens": 45}
    status.costs = "conv ≈$0.00011 + unpriced · session ≈$0.00011 + unpriced"
    pieces = status._pieces()
    full = "deepseek/deepseek-chat-v3 @ 127.0.0.1-8931 · ready · 12 in · 45 out · " + status.costs
    assert fit_to_width(pieces, 200).plain == full
    # 120 columns with a sidebar open: the last reply's usage (also in its header) goes first, then the endpoint.
    assert fit_to_width(pieces, 110).plain == full.replace(" · 12 in · 45 out", "")
    assert fit_to_width(pieces, 90).plain == "deepseek/deepseek-chat-v3 · ready · " + status.costs
