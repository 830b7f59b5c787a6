"""`toki usage`: tokens and cost from the history, per model, day or conversation.

The sums are SQLite aggregates over an index (core/store/usage.py). A reply's cost is the charge the server reported
(OpenRouter's `usage.cost`), else an estimate (usage times the price in force when the reply ended); a total with
any estimate in it is written "≈$…", and `cost_source` in JSON says which it is. Unknown is never counted as 0: a
group with an unpriced reply has `cost` null in JSON and says so in the table. Model ids and titles are untrusted
text, shown through displayable().
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from toki_tui.cli.common import EXIT_USAGE, report, run_on_history
from toki_tui.core.pricing import format_cost
from toki_tui.core.store.export import dumps_json
from toki_tui.core.store.usage import Grouping, UsageRow, parse_since
from toki_tui.core.text import displayable

if TYPE_CHECKING:
    from toki_tui.core.store.history_store import HistoryStore

SHORT_ID = 8
MAX_KEY_WIDTH = 48
"""Model ids and titles are cut to this many characters in the table (all of them are in --json)."""


def cost_text(row: UsageRow) -> str:
    """A group's cost for people: "≈$0.04", "≈$0.04 + 2 unpriced", "3 unpriced"; "$0.04" when every priced reply's
    cost was reported by the server."""
    priced = format_cost(row.priced_cost, reported=row.cost_reported)
    if not row.unpriced_replies:
        return priced
    unpriced = f"{row.unpriced_replies:,} unpriced"
    return f"{priced} + {unpriced}" if row.priced_cost else unpriced


def cost_source(row: UsageRow) -> str | None:
    """Where a group's priced cost came from: "reported" (every priced reply's charge, as the server reported it),
    "estimate" (worked out from prices), "mixed", or None when no reply of the group is priced."""
    if not row.priced_replies:
        return None
    if row.reported_replies == row.priced_replies:
        return "reported"
    return "mixed" if row.reported_replies else "estimate"


def usage_records(rows: list[UsageRow], by: Grouping) -> list[dict[str, Any]]:
    """The JSON rows: the grouping key (`model`, `day` or `conversation`), the sums, `cost` (null when any reply
    of the group is unpriced), `priced_cost`, `cost_source` and `unpriced_replies`."""
    records = []
    for row in rows:
        record: dict[str, Any] = {by: row.key}
        if by == "conversation":
            record["title"] = row.title or ""
        record.update(
            replies=row.replies,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cost=row.cost,
            priced_cost=row.priced_cost,
            cost_source=cost_source(row),
            unpriced_replies=row.unpriced_replies,
        )
        records.append(record)
    return records


def _cut(text: str, width: int = MAX_KEY_WIDTH) -> str:
    line = " ".join(displayable(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _label(row: UsageRow, by: Grouping) -> str:
    if by == "conversation":
        return f"{row.key[:SHORT_ID]}  {_cut(row.title or 'untitled')}"
    return _cut(row.key or "(unknown model)")


def print_usage_table(rows: list[UsageRow], total: UsageRow, by: Grouping, out: TextIO, *, cut: bool = False) -> None:
    """The rows and, under them, the total of every group (`cut`: --limit left some groups out, so even one row
    shown has a total of its own)."""
    header = ("conversation" if by == "conversation" else by, "replies", "prompt", "completion", "cost (≈: estimate)")
    lines = [
        (_label(row, by), f"{row.replies:,}", f"{row.prompt_tokens:,}", f"{row.completion_tokens:,}", cost_text(row))
        for row in rows
    ]
    total_line = (
        "total",
        f"{total.replies:,}",
        f"{total.prompt_tokens:,}",
        f"{total.completion_tokens:,}",
        cost_text(total),
    )
    widths = [max(len(line[column]) for line in (header, *lines, total_line)) for column in range(len(header))]

    def write(line: tuple[str, ...]) -> None:
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:-1], strict=True)
        ]
        out.write("  ".join([*cells, line[-1]]).rstrip() + "\n")

    write(header)
    for line in lines:
        write(line)
    if len(lines) > 1 or cut:
        write(total_line)


def run_usage(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    since = None
    if args.since is not None:
        try:
            since = parse_since(args.since)
        except ValueError as error:
            report(f"--since {args.since!r}: {error}")
            return EXIT_USAGE
    by: Grouping = args.by

    def print_usage(store: HistoryStore) -> int:
        rows = store.usage(by, since)
        listed = len(rows)
        if args.limit is not None:  # most tokens first, days oldest first: the latest days are the last ones
            rows = rows[-args.limit :] if by == "day" else rows[: args.limit]
        if args.json:
            out.write(dumps_json(usage_records(rows, by)) + "\n")
        elif not rows:
            out.write("no replies in the history" + (" in that time" if since is not None else "") + "\n")
        else:
            print_usage_table(rows, store.usage_total(since), by, out, cut=len(rows) < listed)
        return 0

    return run_on_history(print_usage)
