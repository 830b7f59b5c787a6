"""Benchmark: a conversation holding several 100,000-character tool results (an MCP result's limit), folded as
toki shows them and unfolded (as they were shown before they folded).

Prints the time from `show_messages()` to the newest message painted, then scrolls from the bottom to the top
a page at a time (as PageUp does, without the animation), and prints the time each page took to be handled, laid
out and painted (the median and the slowest). Headless; prints figures, never fails on a number.

    python -m tests.benchmarks.bench_tool_results [--results 6]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from tests.benchmarks.tui_bench_app import BenchApp, PaintProbe, ms
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets import tool_fold
from toki_tui.ui.widgets.message_view import MessageView

NEWEST_MARKER = "NEWEST-MESSAGE"
RESULT_CHARS = 100_000


def conversation(results: int) -> list[DisplayMessage]:
    """Per turn: a question, a reply calling a tool, its 100,000-character result (JSON-like lines), an answer."""
    line = '{"path": "src/module.py", "line": 120, "text": "def handle(request, *, timeout=30): ..."},\n'
    result = (line * (RESULT_CHARS // len(line) + 1))[:RESULT_CHARS]
    messages: list[DisplayMessage] = []
    for turn in range(results):
        base = turn * 4
        call = {"id": f"c{turn}", "type": "function", "function": {"name": "search", "arguments": '{"q": "x"}'}}
        messages += [
            DisplayMessage(id=base + 1, role="user", content=f"search the code, turn {turn}"),
            DisplayMessage(id=base + 2, role="assistant", content="", tool_calls=[call], model="toki-1"),
            DisplayMessage(id=base + 3, role="tool", content=result, tool_call_id=f"c{turn}"),
            DisplayMessage(
                id=base + 4, role="assistant", content=f"Found it. {NEWEST_MARKER if turn == results - 1 else ''}"
            ),
        ]
    return messages


async def open_and_scroll(results: int) -> tuple[float | None, list[float]]:
    app = BenchApp()
    async with app.run_test(headless=True, size=(140, 45)) as pilot:
        await pilot.pause()
        probe = PaintProbe(MessageView, NEWEST_MARKER)
        try:
            start = time.perf_counter()
            app.conversation.show_messages(conversation(results), has_older=False)
            while probe.seen_at is None and time.perf_counter() < start + 30:
                await asyncio.sleep(0.001)
        finally:
            probe.restore()
        newest = None if probe.seen_at is None else probe.seen_at - start
        view = app.conversation
        view.focus()
        await pilot.pause()
        pages: list[float] = []
        at_top = 0
        while at_top < 2 and len(pages) < 2000:  # at the top twice: the window has nothing older to mount
            begin = time.perf_counter()
            view.scroll_page_up(animate=False)
            await pilot.pause()  # the layout, and the frame Textual paints (headless: to no terminal)
            pages.append(time.perf_counter() - begin)
            at_top = at_top + 1 if view.scroll_y == 0 else 0
        return newest, pages


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=6)
    count = parser.parse_args().results
    print(f"headless (run_test), 140x45; {count} tool results of {RESULT_CHARS:,} characters")
    await open_and_scroll(1)  # warm-up: imports, CSS
    for label, fold_chars in (("folded", tool_fold.FOLD_CHARS), ("unfolded", 10 * RESULT_CHARS)):
        tool_fold.FOLD_CHARS = fold_chars
        saved_lines, tool_fold.FOLD_LINES = tool_fold.FOLD_LINES, (6 if label == "folded" else 10**9)
        newest, pages = await open_and_scroll(count)
        tool_fold.FOLD_LINES = saved_lines
        print(
            f"{label:>8}: newest painted after {ms(newest)}; {len(pages)} pages up to the top, "
            f"median {ms(statistics.median(pages))}, slowest {ms(max(pages))}"
        )


if __name__ == "__main__":
    asyncio.run(main())
