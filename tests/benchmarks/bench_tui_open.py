"""Benchmark: opening a saved conversation of 5,000 messages vs one of 50 (issue 4, "Speed").

For each size it prints the time from `show_messages()` to the newest message painted, the time until a key
typed right after opening is painted in the prompt, and the number of widgets mounted in the whole app.
The ratio 5,000 : 50 is the figure that matters (the design says they cost the same). Headless; prints figures,
never fails on a number.

    python -m tests.benchmarks.bench_tui_open
"""

from __future__ import annotations

import asyncio
import random
import time

from textual import events

from tests.benchmarks.tui_bench_app import CODE_LINES, WORDS, BenchApp, PaintProbe, ms
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.message_view import MessageView

NEWEST_MARKER = "NEWEST-MESSAGE"


def conversation(count: int, seed: int = 7) -> list[DisplayMessage]:
    """Alternating questions and Markdown answers (paragraphs, a list, a code fence), newest marked."""
    rng = random.Random(seed)
    messages: list[DisplayMessage] = []
    for index in range(count):
        if index % 2 == 0:
            content = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) + "?"
            messages.append(DisplayMessage(id=index + 1, role="user", content=content))
        else:
            paragraph = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120)))
            items = "".join(f"- {' '.join(rng.sample(WORDS, 6))}\n" for _ in range(4))
            code = "\n".join(rng.sample(CODE_LINES, 5))
            content = f"{paragraph}.\n\n{items}\n```python\n{code}\n```\n\nIn short: {rng.choice(WORDS)}."
            messages.append(
                DisplayMessage(
                    id=index + 1,
                    role="assistant",
                    content=content,
                    model="toki-1",
                    reasoning="thinking " * 30 if index % 10 == 1 else None,
                    usage={"completion_tokens": 300},
                )
            )
    last = messages[-1]
    messages[-1] = DisplayMessage(id=last.id, role=last.role, content=f"{last.content}\n\n{NEWEST_MARKER}")
    return messages


async def open_once(count: int) -> tuple[float | None, float | None, int, int]:
    messages = conversation(count)
    app = BenchApp()
    async with app.run_test(headless=True, size=(140, 45)) as pilot:
        app.prompt.focus()
        await pilot.pause()
        probe = PaintProbe(MessageView, NEWEST_MARKER)
        try:
            start = time.perf_counter()
            app.conversation.show_messages(messages, has_older=False)
            app.prompt.note_key_sent()
            app.post_message(events.Key("x", "x"))
            deadline = start + 10
            while (probe.seen_at is None or app.prompt.sent_at) and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
        finally:
            probe.restore()
        newest = None if probe.seen_at is None else probe.seen_at - start
        key = app.prompt.latencies[0] if app.prompt.latencies else None
        await pilot.pause()
        widgets = len(list(app.screen.walk_children(with_self=True)))
        return newest, key, app.conversation.mounted_message_count, widgets


async def main() -> None:
    print("headless (run_test), 140x45; opening a conversation with show_messages()")
    await open_once(50)  # warm-up: imports, lexers, CSS
    results = {}
    for count in (50, 5000):
        newest, key, mounted, widgets = await open_once(count)
        results[count] = newest
        print(
            f"{count:>5,} messages: newest painted after {ms(newest)}, key typed at open painted after {ms(key)}, "
            f"{mounted} messages mounted, {widgets} widgets in the screen"
        )
    if results[50] and results[5000]:
        print(f"ratio 5,000 : 50 (time to newest painted) = {results[5000] / results[50]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
