"""Benchmark: memory held per byte of streamed text in the real app (issue 9: an endless reply grew the TUI by
~100 bytes of memory per byte of text).

Streams a reply of `--megabytes` of Markdown-ish text from the loopback fake server through the whole app (client,
session, store, live reply widget), then reports, per byte of text:
  - the app's Python allocations (tracemalloc, the in-process fake server left out) held halfway through the
    stream and once the reply is finished, and the peak of all allocations;
  - the growth of the process's resident set size (RSS, which includes the fake server's frames);
and the ten source lines holding the most memory at the end. Headless; prints figures, never fails on a number.

    python -m tests.benchmarks.bench_tui_memory [--megabytes 5] [--no-trace]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

from tests.benchmarks.tui_bench_app import mixed_markdown
from tests.fakes.replies import Part, Reply
from tests.fakes.server import FakeServer, content_chunk, done_event, finish_chunk, role_chunk, sse_event
from tests.ui.app_support import make_app, type_text


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def long_reply(megabytes: float) -> tuple[Reply, int]:
    """A stream of ~20-character tokens (mixed Markdown with fences) adding up to `megabytes` of text."""
    target = int(megabytes * 1024 * 1024)
    tokens: list[str] = []
    size = 0
    while size < target:
        for token in mixed_markdown(20_000):
            tokens.append(token)
            size += len(token)
            if size >= target:
                break
    parts = [Part(sse_event(role_chunk()))]
    parts.extend(Part(sse_event(content_chunk(token))) for token in tokens)
    parts += [Part(sse_event(finish_chunk("stop"))), Part(done_event())]
    reply = Reply(content_type="text/event-stream", framing="chunked", parts=tuple(parts), coalesce=True)
    return reply, size


# The fake server runs in this process (its frames are not the app's memory), and the imports done while
# streaming are a one-off cost: both are left out of the "app" figures.
_APP_ONLY = [
    tracemalloc.Filter(False, "*/tests/fakes/*"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap*"),
    tracemalloc.Filter(False, tracemalloc.__file__),
]


def print_holders(snapshot: tracemalloc.Snapshot) -> None:
    for stat in snapshot.statistics("lineno")[:10]:
        frame = stat.traceback[0]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        print(f"    {stat.size / 1024 / 1024:8.1f} MB  {stat.count:>9,} blocks  {where}")


async def measure(megabytes: float, trace: bool) -> None:
    reply, text_bytes = long_reply(megabytes)
    with tempfile.TemporaryDirectory() as folder, FakeServer() as server:
        server.script(reply)
        harness = make_app(Path(folder), server)
        async with harness.app.run_test(headless=True, size=(140, 45)) as pilot:
            harness.app.client.max_reply_chars = 2 * text_bytes  # measure past toki's own reply limit
            await pilot.pause()
            gc.collect()
            rss_before = rss_bytes()
            if trace:
                tracemalloc.start(1)
            traced_before = tracemalloc.get_traced_memory()[0] if trace else 0
            started = time.perf_counter()
            await type_text(pilot, "go")
            await pilot.press("enter")
            midway: tracemalloc.Snapshot | None = None
            while not server.chat_requests() or harness.screen.streaming:
                reply = harness.screen.session.reply
                if trace and midway is None and reply is not None and reply.content_chars > text_bytes // 2:
                    midway = tracemalloc.take_snapshot().filter_traces(_APP_ONLY)
                await asyncio.sleep(0.05)
            await harness.app.workers.wait_for_complete()
            await pilot.pause()
            elapsed = time.perf_counter() - started
            gc.collect()
            rss_after = rss_bytes()
            print(f"{text_bytes / 1024 / 1024:.1f} MB of text streamed through the app in {elapsed:.1f} s")
            if trace:
                _, peak = tracemalloc.get_traced_memory()
                snapshot = tracemalloc.take_snapshot().filter_traces(_APP_ONLY)
                tracemalloc.stop()
                app_held = sum(stat.size for stat in snapshot.statistics("filename"))
                midway_held = sum(stat.size for stat in midway.statistics("filename")) if midway is not None else 0
                print(f"  app allocations held after the reply:  {app_held / text_bytes:6.1f} bytes per byte of text")
                so_far = midway_held / (text_bytes / 2)
                print(f"  app allocations halfway through:       {so_far:6.1f} bytes per byte so far")
                print(f"  peak of all allocations (server too):  {(peak - traced_before) / text_bytes:6.1f} bytes/byte")
                for label, taken in (("halfway through the stream", midway), ("at the end", snapshot)):
                    if taken is not None:
                        print(f"  largest holders {label}:")
                        print_holders(taken)
            growth = (rss_after - rss_before) / text_bytes
            print(f"  RSS growth: {growth:6.1f} bytes per byte of text (the in-process fake server's frames included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--no-trace", action="store_true", help="RSS only (tracemalloc slows streaming down)")
    args = parser.parse_args()
    asyncio.run(measure(args.megabytes, trace=not args.no_trace))


if __name__ == "__main__":
    main()
