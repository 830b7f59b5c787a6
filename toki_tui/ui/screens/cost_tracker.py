"""What the chat's replies cost: the status line's totals (the conversation's, from the history; this run's, from
the app's Spend) and the daily budget's warning (core/spend.py).

After a reply ends and when a conversation is shown, a worker reads the conversation's total (and, after a priced
reply with a budget set, today's) on the store thread, and hands what it read back to the screen's message queue
(`call_later`, Textual's way to post a callback: the worker itself changes nothing); `receive` then updates the
status line and warns once when that reply took today's estimated total over `budget_per_day`. The part also puts
the app's price book in force for the session (`ChatSession.price_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toki_tui.core.errors import TokiError
from toki_tui.core.pricing import format_total
from toki_tui.core.spend import Spend, budget_crossed, budget_message
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.session import ChatSession
    from toki_tui.core.store.usage import UsageRow
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.worker_messages import ReplyEnded


@dataclass(frozen=True)
class CostsRead:
    """The totals a cost worker read: the conversation's (None for a new one) and, after a priced reply with a
    budget set, today's with that reply's cost."""

    conversation_id: str | None
    conversation: UsageRow | None
    today: UsageRow | None
    reply_cost: float


def costs_text(conversation: UsageRow | None, session: Spend) -> str:
    """The status line's costs: "conv ≈$0.0012 · session ≈$0.04 + unpriced". A total with no priced reply in it is
    left out: with a server that gives no prices (most of them) a permanent "unpriced" would say nothing the
    reply's details do not; once any reply is priced, its total names what it leaves out."""
    parts = []
    if conversation is not None and conversation.priced_replies:
        total = format_total(
            conversation.priced_cost, conversation.unpriced_replies, reported=conversation.cost_reported
        )
        parts.append(f"conv {total}")
    if session.priced:
        parts.append(f"session {session.text}")
    return " · ".join(parts)


class CostTracker:
    """`screen` is the node the workers run on (group "costs") and what they read is handed back through."""

    def __init__(self, screen: Screen[Any], app: TokiApp, session: ChatSession) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._conversation: UsageRow | None = None
        session.price_of = app.prices.price_for  # the config's prices, then the model list's (ModelChoice.show)

    def reply_ended(self, message: ReplyEnded) -> None:
        """Count the reply in this run's total, then read the conversation's (and today's, for the budget)."""
        self._app.spend.add(message.cost, unpriced=message.unpriced, reported=message.cost_reported)
        # Today's total is read from the history, so only a reply the history took can be checked against it.
        budget = self._app.config.budget_per_day
        budget_check = message.cost is not None and budget is not None and self._session.saving
        self._read(message.conversation_id, today=budget_check, reply_cost=message.cost or 0.0)

    def show_conversation(self, conversation_id: str | None) -> None:
        """A conversation is shown (None: a new, empty one)."""
        self._conversation = None
        self._show()
        if conversation_id is not None:
            self._read(conversation_id, today=False, reply_cost=0.0)

    def _read(self, conversation_id: str | None, *, today: bool, reply_cost: float) -> None:
        start_worker(self._screen, self._read_totals, conversation_id, today, reply_cost, group="costs")

    async def _read_totals(self, conversation_id: str | None, today: bool, reply_cost: float) -> None:
        from toki_tui.core.store.usage import start_of_day  # after a reply, not on the way to the first frame

        store = await self._app.history()
        if store is None:
            return
        try:
            conversation = (
                None
                if conversation_id is None
                else await self._app.store_thread.run(lambda: store.usage_total(conversation_id=conversation_id))
            )
            day = await self._app.store_thread.run(lambda: store.usage_total(start_of_day())) if today else None
        except TokiError:
            return  # the totals are a courtesy: a history that cannot be read says so elsewhere
        self._screen.call_later(self.receive, CostsRead(conversation_id, conversation, day, reply_cost))

    def receive(self, message: CostsRead) -> None:
        if message.conversation_id == self._session.conversation_id:
            self._conversation = message.conversation
        self._show()
        today, budget = message.today, self._app.config.budget_per_day
        if today is None or budget is None or not budget_crossed(today.priced_cost, message.reply_cost, budget):
            return
        text = budget_message(today.priced_cost, today.unpriced_replies, budget, reported=today.cost_reported)
        self._app.notify(text[0].upper() + text[1:], title="Budget", severity="warning", timeout=20)

    def _show(self) -> None:
        self._screen.query_one(StatusLine).costs = costs_text(self._conversation, self._app.spend)
