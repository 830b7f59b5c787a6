"""Running totals of cost, and the daily budget's warning.

A total over replies keeps the cost of the priced ones and counts the unpriced ones apart, so it can be said
honestly ("≈$0.04 + unpriced"); the rule for "unpriced" is the one the history's sums use (core/store/usage.py):
the cost is unknown and the reply may have cost something (it reported tokens, or it did not fail).

The budget (`budget_per_day` in the config) is crossed by the reply that takes today's priced total from below it
to at least it: that reply warns, once, and no other does that day (each `toki ask` is its own process, so "once"
is a property of the crossing itself, not of a flag kept in memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from toki_tui.core.pricing import COST_DIGITS, format_cost, format_total


def is_unpriced(cost: float | None, usage: Mapping[str, object] | None, status: str, *, answered: bool) -> bool:
    """Whether a reply's cost is unknown although it may have cost something: it reported tokens, the server
    started answering (`answered`: it has a time to first token, so a reply cut off mid-stream without usage is
    unpriced, not free), or it did not fail."""
    if cost is not None:
        return False
    reported = usage is not None and any(
        isinstance(usage.get(name), int) for name in ("prompt_tokens", "completion_tokens")
    )
    return reported or answered or status not in ("error", "streaming")


@dataclass
class Spend:
    """A running total: the priced replies' cost, how many costs were added (`priced`; a compare turn's
    replies are added as one), how many of those costs the server reported in full (`reported`; the others are
    estimates, in whole or in part), and how many replies were unpriced."""

    cost: float = 0.0
    priced: int = 0
    unpriced: int = 0
    reported: int = 0

    def add(self, cost: float | None, *, unpriced: int = 0, reported: bool = False) -> None:
        """Count a turn: the cost of its priced replies (None: none was priced), whether the server reported all
        of it (else some of it is an estimate), and how many of its replies were unpriced."""
        if cost is not None:
            self.cost = round(self.cost + cost, COST_DIGITS)
            self.priced += 1
            self.reported += reported
        self.unpriced += unpriced

    @property
    def text(self) -> str:
        """ "≈$0.04", "≈$0.04 + unpriced", "unpriced", or "" when nothing was counted; "$0.04" when every priced
        reply's cost was reported by the server."""
        return format_total(self.cost if self.priced else None, self.unpriced, reported=self.reported == self.priced)


def budget_crossed(today_cost: float, reply_cost: float | None, budget: float | None) -> bool:
    """Whether the reply that brought today's priced total to `today_cost` is the one that crossed `budget`."""
    if budget is None or reply_cost is None or reply_cost <= 0:
        return False
    return today_cost - reply_cost < budget <= today_cost


def budget_message(today_cost: float, unpriced: int, budget: float, *, reported: bool = False) -> str:
    """The warning: today's total (`reported`: all of it charges the server reported, not an estimate), the
    budget, and what the total leaves out."""
    replies = "reply" if unpriced == 1 else "replies"
    left_out = f" (not counting {unpriced:,} unpriced {replies})" if unpriced else ""
    estimate = "" if reported else " (estimate)"
    return (
        f"today's replies cost {format_cost(today_cost, reported=reported)}{estimate}{left_out}, over your "
        "budget_per_day of "
        f"{format_cost(budget).removeprefix('≈')}"
    )
