"""Benchmark: a long reply streamed into the live reply widget inside a running app.

Scenarios (issue 4, "Speed"): 20,000 tokens of mixed Markdown at 2,000 tokens/s, and a reply with one
5,000-token code fence. For each it prints
  - the time from the last append to the full text painted (the END marker in a painted line),
  - the CPU spent by the process per token while streaming (app + renderer + the fake producer),
  - the latency from a key event to the typed character painted in an Input, typed every 50 ms during the
    stream (p50 / p95 / max), next to the same measured on the idle app in the same run.
Headless by default; `--pty` runs the app under a real pseudo-terminal (terminal writes included) and measures
from outside the process. Prints figures; never fails on a number.

    python -m tests.benchmarks.bench_tui_stream [--pty] [--tokens 20000] [--rate 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass

from textual import events

from tests.benchmarks.tui_bench_app import (
    END_MARKER,
    BenchApp,
    PaintProbe,
    long_fence,
    mixed_markdown,
    ms,
    percentile,
)
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.live_reply import LiveReply

KEY_INTERVAL = 0.05


@dataclass
class StreamFigures:
    label: str
    tokens: int
    stream_seconds: float
    finish_call: float
    last_append_to_painted: float | None
    cpu_us_per_token: float
    key_latencies: list[float]
    idle_key_latencies: list[float]

    def report(self) -> str:
        keys, idle = self.key_latencies, self.idle_key_latencies
        return (
            f"{self.label}: {self.tokens:,} tokens streamed in {self.stream_seconds:.2f} s "
            f"({self.tokens / self.stream_seconds:,.0f} tok/s achieved)\n"
            f"  last append -> full text painted: {ms(self.last_append_to_painted)} "
            f"(finish() call itself {ms(self.finish_call)})\n"
            f"  CPU: {self.cpu_us_per_token:.0f} us/token\n"
            f"  key -> painted during stream: p50 {ms(percentile(keys, 0.5))}, p95 {ms(percentile(keys, 0.95))}, "
            f"max {ms(max(keys) if keys else None)} over {len(keys)} keys\n"
            f"  key -> painted on the idle app: p50 {ms(percentile(idle, 0.5))}, p95 {ms(percentile(idle, 0.95))}"
        )


def history(count: int) -> list[DisplayMessage]:
    return [
        DisplayMessage(id=i, role="user" if i % 2 else "assistant", content=f"earlier message {i} with *markdown*")
        for i in range(count)
    ]


async def type_keys(app: BenchApp, stop: asyncio.Event) -> None:
    """Post a key event (as the terminal driver does) every KEY_INTERVAL until `stop` is set."""
    while not stop.is_set():
        app.prompt.note_key_sent()
        app.post_message(events.Key("x", "x"))
        await asyncio.sleep(KEY_INTERVAL)


async def stream_tokens(live: LiveReply, tokens: list[str], rate: float) -> float:
    """Append tokens on schedule (as a worker reading SSE would); returns the time of the last append."""
    start = time.perf_counter()
    sent = 0
    while True:
        due = min(len(tokens), int((time.perf_counter() - start) * rate) + 1)
        for token in tokens[sent:due]:
            live.append_content(token)
        sent = due
        if sent == len(tokens):
            return time.perf_counter()
        await asyncio.sleep(0.002)


async def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate() and time.perf_counter() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.002)


async def measure(label: str, tokens: list[str], rate: float) -> StreamFigures:
    app = BenchApp()
    async with app.run_test(headless=True, size=(140, 45)) as pilot:
        app.conversation.show_messages(history(20), has_older=False)
        app.prompt.focus()
        await pilot.pause()

        stop_typing = asyncio.Event()
        typer = asyncio.create_task(type_keys(app, stop_typing))
        await asyncio.sleep(1.0)
        stop_typing.set()
        await typer
        await wait_for(lambda: not app.prompt.sent_at, 1.0)
        idle_latencies = list(app.prompt.latencies)
        app.prompt.latencies.clear()

        probe = PaintProbe(LiveReply, END_MARKER)
        try:
            live = app.conversation.start_reply(model="bench")
            await pilot.pause()
            stop_typing = asyncio.Event()
            typer = asyncio.create_task(type_keys(app, stop_typing))
            cpu_start = time.process_time()
            wall_start = time.perf_counter()
            last_append = await stream_tokens(live, tokens, rate)
            live.finish(status="complete")
            finish_call = time.perf_counter() - last_append
            await wait_for(lambda: probe.seen_at is not None, 10.0)
            cpu = time.process_time() - cpu_start
            stop_typing.set()
            await typer
            await wait_for(lambda: not app.prompt.sent_at, 1.0)
        finally:
            probe.restore()
        return StreamFigures(
            label=label,
            tokens=len(tokens),
            stream_seconds=last_append - wall_start,
            finish_call=finish_call,
            last_append_to_painted=None if probe.seen_at is None else probe.seen_at - last_append,
            cpu_us_per_token=cpu / len(tokens) * 1e6,
            key_latencies=list(app.prompt.latencies),
            idle_key_latencies=idle_latencies,
        )


def scenarios(token_count: int) -> list[tuple[str, list[str]]]:
    return [
        (f"mixed Markdown, {token_count:,} tokens", mixed_markdown(token_count)),
        ("one 5,000-token code fence", long_fence(5000)),
    ]


async def run_headless(token_count: int, rate: float) -> None:
    print(f"headless (run_test), 140x45, {rate:,.0f} tok/s target, keys every {KEY_INTERVAL * 1000:.0f} ms")
    for label, tokens in scenarios(token_count):
        figures = await measure(label, tokens, rate)
        print(figures.report())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=2_000.0)
    parser.add_argument("--pty", action="store_true", help="run the app under a pseudo-terminal instead")
    parser.add_argument("--pty-child", choices=["mixed", "fence"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pty_child:
        from tests.benchmarks.tui_bench_pty import run_child

        run_child(args.pty_child, args.tokens, args.rate)
    elif args.pty:
        from tests.benchmarks.tui_bench_pty import run_parent

        for scenario in ("mixed", "fence"):
            figures = run_parent(scenario, args.tokens, args.rate)
            if os.environ.get("BENCH_JSON"):
                print(json.dumps(figures))
    else:
        asyncio.run(run_headless(args.tokens, args.rate))


if __name__ == "__main__":
    main()
