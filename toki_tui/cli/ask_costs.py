"""`toki ask`'s side of costs: the price in force for the model, the cost in the `--usage` line, and the warning
on stderr when this reply takes today's estimated total over `budget_per_day` (core/spend.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from toki_tui.cli.common import report
from toki_tui.core.config import paths
from toki_tui.core.config.config_file import Config
from toki_tui.core.errors import HistoryError
from toki_tui.core.pricing import Price, PriceBook, format_cost
from toki_tui.core.text import displayable_line

if TYPE_CHECKING:
    from toki_tui.core.reply_run import ReplyRun
    from toki_tui.core.session import ChatSession


def price_lookup(config: Config, endpoint_name: str) -> Callable[[str], Price | None]:
    """The config's price for a model, else the one in the endpoint's cached model list (written by the TUI and
    `toki models`); the cache is read only when a reply ends, and only if the config has no price for it."""

    def price_of(model: str) -> Price | None:
        configured = config.model_prices.get(model)
        if configured is not None:
            return configured
        from toki_tui.core.api.model_cache import load_cached_models

        return PriceBook(listed=load_cached_models(paths.cache_dir(), endpoint_name)).price_for(model)

    return price_of


def report_after_reply(args: argparse.Namespace, session: ChatSession, config: Config) -> None:
    """The `--usage` line (tokens, and the estimated cost or why it is unknown), then the budget's warning."""
    reply, run = session.reply, session.last_run
    if reply is None or run is None:
        return
    if args.usage and reply.usage is not None:
        report(usage_line(run))
    elif args.usage:
        # Servers that ignore stream_options.include_usage (docs/protocol.md §2.3): said, not left silent.
        report("usage: the server reported no token counts for this reply; cost unknown")
    warn_over_budget(config, session, run.cost)


def usage_line(run: ReplyRun) -> str:
    """`usage: prompt_tokens 12, ...; cost ≈$0.0012 (estimate)` (or `cost $0.0012 (reported by the server)`), or
    why the cost is unknown (`--usage`)."""
    usage = run.reply.usage.as_dict() if run.reply.usage is not None else {}
    counts = ", ".join(f"{key} {value}" for key, value in usage.items()) or "no token counts"
    if run.cost is not None and run.cost_reported:
        priced = f"cost {format_cost(run.cost, reported=True)} (reported by the server)"
    elif run.cost is not None:
        priced = f"cost {format_cost(run.cost)} (estimate)"
    elif run.price is None:
        priced = f"cost unknown (no price for {displayable_line(run.model)})"
    else:
        priced = "cost unknown (no token counts)"
    return f"usage: {counts}; {priced}"


def warn_over_budget(config: Config, session: ChatSession, cost: float | None) -> None:
    """The line on stderr when the reply (or compare turn) that cost `cost` took today's total over the budget;
    only when the history took it (today's total is read from there)."""
    budget, store = config.budget_per_day, session.store
    if budget is None or store is None or not session.saving or cost is None:
        return
    from toki_tui.core.spend import budget_crossed, budget_message
    from toki_tui.core.store.usage import start_of_day

    try:
        today = store.usage_total(since=start_of_day())
    except HistoryError:
        return
    if budget_crossed(today.priced_cost, cost, budget):
        report(budget_message(today.priced_cost, today.unpriced_replies, budget, reported=today.cost_reported))
