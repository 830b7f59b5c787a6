"""`toki ask --compare M1,M2[,M3,M4] PROMPT`: one question to several models at once (core/compare.py).

The replies stream concurrently, but they are printed one after another so they stay apart: the first model's
reply is printed as it arrives, each other one is buffered and printed whole (its reasoning to stderr, as in a
plain `toki ask`) once the first has ended, in the order given, each under a header line. A one-line-per-model
summary table follows (model, status, time to first token, tokens per second, completion tokens, cost or
"unknown"). Every reply is stored as a sibling under the one question; the conversation continues on the first
reply that did not fail (`toki ask -c`). The exit status is 1 when any model failed, with the others printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import TextIO

from toki_tui.cli.ask_costs import usage_line, warn_over_budget
from toki_tui.cli.common import EXIT_API_ERROR, UsageError, report
from toki_tui.cli.reply_printer import ReplyPrinter
from toki_tui.core.api.events import StreamEvent
from toki_tui.core.attachments import Attachment
from toki_tui.core.compare import CompareError, CompareTurn, check_compare_models, start_compare
from toki_tui.core.config.config_file import Config
from toki_tui.core.pricing import format_cost
from toki_tui.core.reply_run import ReplyRun
from toki_tui.core.session import ChatSession
from toki_tui.core.text import displayable, displayable_line, terminal_json
from toki_tui.core.text_input import without_surrogates


def compare_models(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The models of --compare (comma-separated), checked before anything is sent; None without the flag."""
    value = getattr(args, "compare", None)
    if value is None:
        return None
    try:
        return check_compare_models(without_surrogates(value).split(","))
    except CompareError as error:
        raise UsageError(f"--compare: {error}") from None


def summary_rows(turn: CompareTurn) -> list[list[str]]:
    """The summary table; each cost is the one stored with the reply (ReplyRun.cost: the server's reported charge,
    or the estimate from the price in force when the reply ended)."""
    rows = [["MODEL", "STATUS", "FIRST TOKEN", "TOK/S", "TOKENS", "COST"]]
    for run in turn.runs:
        reply = run.reply
        ttft, speed = reply.ttft, reply.tokens_per_second()
        tokens = reply.usage.completion_tokens if reply.usage is not None else None
        rows.append(
            [
                displayable_line(run.model),
                run.reply_status,
                f"{ttft:.2f} s" if ttft is not None else "-",
                f"{speed:.1f}" if speed is not None else "-",
                str(tokens) if tokens is not None else "-",
                format_cost(run.cost, reported=run.cost_reported) if run.cost is not None else "unknown",
            ]
        )
    return rows


def print_table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def _header(model: str, out: TextIO) -> None:
    out.write(f"── {displayable_line(model)} ──\n")


async def _compare(
    session: ChatSession,
    prompt: str,
    models: tuple[str, ...],
    attachments: tuple[Attachment, ...],
    out: TextIO,
    err: TextIO,
) -> CompareTurn:
    try:
        turn = await start_compare(session, prompt, models, attachments)
        _header(models[0], out)
        first = ReplyPrinter(out, err, label=displayable_line(models[0]))
        held: list[list[list[StreamEvent]]] = [[] for _ in models]

        def on_batch(index: int, batch: list[StreamEvent]) -> None:
            if index == 0:
                first.handle_batch(batch)
            else:
                held[index].append(batch)

        def on_end(index: int) -> None:
            if index == 0:
                first.finish()
                first.end_line()

        await turn.run(on_batch, on_end)
        _print_outcome(turn.runs[0], out, err)
        for index in range(1, len(models)):
            out.write("\n")
            _header(models[index], out)
            printer = ReplyPrinter(out, err, label=displayable_line(models[index]))
            for batch in held[index]:
                printer.handle_batch(batch)
            printer.finish()
            printer.end_line()
            _print_outcome(turn.runs[index], out, err)
        return turn
    finally:
        await session.client.aclose()


def _print_outcome(run: ReplyRun, out: TextIO, err: TextIO) -> None:
    """Under a reply: its tool calls (as `toki ask` prints them: one JSON document), and what ended it when it did
    not end normally (an error is also reported on stderr)."""
    if run.reply.tool_calls:
        out.write(terminal_json({"tool_calls": run.reply.tool_calls}) + "\n")
    if run.reply_status == "error":
        out.write(f"(failed: {displayable(run.error or 'unknown error')})\n")
        report(f"{run.model}: {run.error or 'unknown error'}", err)
    elif run.reply_status == "stopped":
        out.write("(stopped)\n")
    elif run.reply_note:
        out.write(f"({displayable(run.reply_note)})\n")
    elif run.reply_status == "length":
        out.write("(cut off at the token limit)\n")


def ask_compare(
    args: argparse.Namespace,
    config: Config,
    session: ChatSession,
    prompt: str,
    attachments: tuple[Attachment, ...],
    out: TextIO,
) -> int:
    """Ask every model of --compare, print the replies and the summary; 0 when every model answered,
    EXIT_API_ERROR otherwise (the others printed all the same). Raises UsageError for a bad model list."""
    models = compare_models(args)
    assert models is not None
    err = sys.stderr
    turn = asyncio.run(_compare(session, prompt, models, attachments, out, err))
    out.write("\n")
    print_table(summary_rows(turn), out)
    with contextlib.suppress(BrokenPipeError):
        out.flush()
    if args.usage:  # each model's counts as reported, as `toki ask --usage` prints them
        for run in turn.runs:
            if run.reply.usage is not None:
                report(f"{displayable_line(run.model)}: {usage_line(run)}", err)
    if session.save_problem is not None:
        report(f"{session.save_problem}; these replies were not saved", err)
    costs = [run.cost for run in turn.runs if run.cost is not None]
    warn_over_budget(config, session, sum(costs) if costs else None)
    return EXIT_API_ERROR if turn.failed else 0
