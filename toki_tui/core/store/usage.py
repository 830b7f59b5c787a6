"""Tokens and cost summed over the history's replies: `toki usage`, the status line's totals, the budget.

Every sum is one SQLite aggregate over the partial index `messages_replies_by_time` (migrations.py, versions 4 and
5), which holds each reply's time, model, conversation, status, token counts, cost and the cost's source: the
queries read that index and never the rows, so 500,000 messages cost a few hundred milliseconds
(docs/performance.md). A cost is the server's reported charge or toki's estimate; a sum says how many of its
priced replies were reported (`reported_replies`), so that a total of reported charges alone is not called an
estimate.

Unknown is never counted as 0. A reply is *unpriced* when its cost is unknown (no price for its model when it
ended, no usage reported, or written before costs were kept) and it may have cost something: it reported tokens,
the server started answering it (it has a time to first token), or it did not fail. A reply that failed before
any of it arrived, without reporting usage (a 401, a refused connection), counts as free. A
group with any unpriced reply has no total cost (`cost` None), but keeps the sum of its priced replies apart
(`priced_cost`) and says how many were unpriced.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from toki_tui.core.pricing import COST_DIGITS

if TYPE_CHECKING:
    import sqlite3

Grouping = Literal["model", "day", "conversation"]
GROUPINGS: tuple[Grouping, ...] = ("model", "day", "conversation")

_KEYS: dict[Grouping, str] = {
    "model": "coalesce(model, '')",
    "day": "date(created_at, 'unixepoch', 'localtime')",
    "conversation": "conversation_id",
}

# The last test reads the row (`ttft` is not in the index) only for the few replies that failed without usage or
# cost: a CASE condition stops at the first true term. Such a reply with a time to first token was cut off after
# the server started answering, so it may have cost something.
_UNPRICED = (
    "cost_estimate IS NULL AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL "
    "OR status NOT IN ('error', 'streaming') "
    "OR (SELECT answered.ttft IS NOT NULL FROM messages AS answered WHERE answered.id = messages.id))"
)

_SUMS = (
    "count(*), total(prompt_tokens), total(completion_tokens), total(cost_estimate), "
    f"sum(CASE WHEN {_UNPRICED} THEN 1 ELSE 0 END), count(cost_estimate), "
    "count(CASE WHEN cost_source = 'reported' AND cost_estimate IS NOT NULL THEN 1 END)"
)

# total() rather than sum(): a server's absurd token counts must not stop the sums with an integer overflow.
# INDEXED BY: grouping by conversation would otherwise walk messages_by_conversation and read every row.
_FROM_REPLIES = "FROM messages INDEXED BY messages_replies_by_time WHERE role = 'assistant' AND created_at >= ?"


@dataclass(frozen=True)
class UsageRow:
    """One group's sums: `key` is a model id, a local day (YYYY-MM-DD) or a conversation id."""

    key: str
    replies: int
    prompt_tokens: int
    completion_tokens: int
    priced_cost: float
    """The estimated cost of the group's priced replies."""
    unpriced_replies: int
    priced_replies: int = 0
    title: str | None = None
    """With the conversation grouping: the conversation's title (untrusted text)."""
    reported_replies: int = 0
    """How many of the priced replies' costs are charges the server reported (the others are estimates)."""

    @property
    def cost_reported(self) -> bool:
        """Whether the priced cost is no estimate: every priced reply's cost was reported by the server."""
        return self.priced_replies > 0 and self.reported_replies == self.priced_replies

    @property
    def cost(self) -> float | None:
        """The group's estimated cost; None when any of its replies is unpriced."""
        return None if self.unpriced_replies else self.priced_cost


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _row(key: object, values: tuple[object, ...], title: object = None) -> UsageRow:
    replies, prompt, completion, cost, unpriced, priced, reported = (_number(value) for value in values)
    return UsageRow(
        key=str(key) if key is not None else "",
        replies=int(replies),
        prompt_tokens=int(prompt),
        completion_tokens=int(completion),
        priced_cost=round(cost, COST_DIGITS),
        unpriced_replies=int(unpriced),
        priced_replies=int(priced),
        title=str(title) if title is not None else None,
        reported_replies=int(reported),
    )


def usage_by(db: sqlite3.Connection, by: Grouping, since: float | None = None) -> list[UsageRow]:
    """The replies since `since` (seconds since the epoch; None: all), summed per model, day or conversation.
    Days come oldest first; models and conversations by tokens, most first."""
    key = _KEYS[by]
    start = float("-inf") if since is None else since
    rows = db.execute(f"SELECT {key}, {_SUMS} {_FROM_REPLIES} GROUP BY 1", (start,)).fetchall()
    usage = [_row(row[0], tuple(row[1:])) for row in rows]
    if by == "day":
        return sorted(usage, key=lambda row: row.key)
    usage.sort(key=lambda row: (-(row.prompt_tokens + row.completion_tokens), row.key))
    if by == "conversation":
        titles = _titles(db, [row.key for row in usage])
        usage = [_row(row.key, _values(row), titles.get(row.key, "")) for row in usage]
    return usage


def _values(row: UsageRow) -> tuple[object, ...]:
    return (
        row.replies,
        row.prompt_tokens,
        row.completion_tokens,
        row.priced_cost,
        row.unpriced_replies,
        row.priced_replies,
        row.reported_replies,
    )


def _titles(db: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for conversation_id, title in db.execute(
            f"SELECT id, title FROM conversations WHERE id IN ({marks})", chunk
        ).fetchall():
            titles[str(conversation_id)] = str(title or "")
    return titles


def usage_total(db: sqlite3.Connection, since: float | None = None, conversation_id: str | None = None) -> UsageRow:
    """All replies since `since` (of one conversation, if given) summed as one row (key "total")."""
    start = float("-inf") if since is None else since
    if conversation_id is None:
        row = db.execute(f"SELECT {_SUMS} {_FROM_REPLIES}", (start,)).fetchone()
    else:
        row = db.execute(
            f"SELECT {_SUMS} FROM messages WHERE conversation_id = ? AND role = 'assistant' AND created_at >= ?",
            (conversation_id, start),
        ).fetchone()
    return _row("total", tuple(row))


def start_of_day(now: float | None = None) -> float:
    """Local midnight of the day `now` falls in (seconds since the epoch): where "today" begins for the budget."""
    moment = datetime.fromtimestamp(time.time() if now is None else now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


_SPAN = re.compile(r"(\d{1,6})\s*([mhdw])")
_SPAN_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
SINCE_FORMS = "a span such as 30m, 24h, 7d or 2w, or a date such as 2026-11-01"


def parse_since(text: str, now: float | None = None) -> float:
    """`--since`: a span back from now (30m, 24h, 7d, 2w) or a local date (YYYY-MM-DD, from its midnight), as
    seconds since the epoch. Raises ValueError naming the accepted forms."""
    value = text.strip().lower()
    current = time.time() if now is None else now
    if span := _SPAN.fullmatch(value):
        return current - int(span.group(1)) * _SPAN_SECONDS[span.group(2)]
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"expected {SINCE_FORMS}") from None
    return day.timestamp()
