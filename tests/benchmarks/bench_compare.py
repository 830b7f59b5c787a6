"""Benchmark: compare (three models streaming at once) against one stream, in toki itself under a pseudo-terminal.

As bench_tui_app_pty: `python -m toki_tui` runs on a pty of 140x45 against the fake server over loopback HTTP
(everything per token included: HTTP, SSE decoding, the reply pump, the store's checkpoints, the painting); the
parent plays the terminal and the server, and types a key into the prompt every 80 ms meanwhile. Two runs, each
in a fresh toki:
  - one stream: a question answered with `--tokens` tokens of mixed Markdown at `--rate` tokens per second;
  - compare: `/compare` of three models, then the same question, each model answering the same way at the same
    rate, side by side (the issue's scenario: 3 x 2,000 tokens at 500 tok/s).
For each it prints the app's CPU time (user + system, from /proc) per token received, from the first request to
the last reply's end on screen, and the latency from a key written to the pty to its echo (p50 / p95 / max).
Then the ratio of CPU per token, compare over one stream (the goal: at most 1.5), and the compare p95 key
latency (the goal: at most 50 ms). Figures only; never fails on a number. Other processes on the machine add to
the latencies (not to the CPU time, which is the app's own): note the load average printed first.

    python -m tests.benchmarks.bench_compare [--tokens 2000] [--rate 500] [--profile DIR | --breakdown]

`--breakdown` prints, for each run, where the main thread's CPU went (as bench_tui_blackbox --breakdown): frames,
those that laid out the screen, the live replies' flushes, the event loop's polls.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.bench_tui_app_pty import cpu_seconds, paced_stream
from tests.benchmarks.bench_tui_blackbox import measurement_hooks, print_breakdown
from tests.benchmarks.tui_bench_app import END_MARKER, mixed_markdown, ms, percentile
from tests.benchmarks.tui_bench_pty import PtyWatcher, python_on_pty, toki_environment, type_and_measure
from tests.fakes.per_model import by_model
from tests.fakes.server import FakeServer

COLUMNS, ROWS = 140, 45
MODELS = ("bench/alpha", "bench/beta", "bench/gamma")


@dataclass
class RunFigures:
    label: str
    tokens: int
    seconds: float
    cpu_us_per_token: float
    key_latencies: list[float]

    def report(self) -> str:
        keys = self.key_latencies
        return (
            f"{self.label}: {self.tokens:,} tokens received in {self.seconds:.1f} s\n"
            f"  CPU of the app: {self.cpu_us_per_token:.0f} us/token\n"
            f"  key -> echoed meanwhile: p50 {ms(percentile(keys, 0.5))}, p95 {ms(percentile(keys, 0.95))}, "
            f"max {ms(max(keys) if keys else None)} over {len(keys)} keys"
        )


def marked_tokens(count: int, marker: str) -> list[str]:
    """`count` tokens of mixed Markdown ending with `marker` (a short word, one token, easy to find on screen)."""
    tokens = mixed_markdown(count)
    while tokens and END_MARKER[:4] not in tokens[-1]:
        tokens.pop()  # END_MARKER is split over several tokens: drop them
    tokens.pop()
    return [*tokens, f" {marker}"]


def all_seen(watcher: PtyWatcher, markers: list[bytes], start: int) -> bool:
    return all(watcher.arrival_of(marker, start) is not None for marker in markers)


def run(
    label: str, models: tuple[str, ...], token_count: int, rate: float, profile: Path | None, breakdown: bool = False
) -> RunFigures:
    markers = [f"ZQ{index}X" for index in range(len(models))]
    with tempfile.TemporaryDirectory(prefix="toki-bench-compare-") as folder, FakeServer() as server:
        replies = {
            model: paced_stream(marked_tokens(token_count, marker), rate)
            for model, marker in zip(models, markers, strict=True)
        }
        server.default_reply = by_model(replies, default=replies[models[0]])
        root = Path(folder)
        env = toki_environment(server.base_url, root, COLUMNS=str(COLUMNS), LINES=str(ROWS), TOKI_MODEL=models[0])
        # As bench_tui_blackbox --profile / --breakdown: a cProfile, or the main thread's time, of the streaming window.
        profile_file = None if profile is None else profile / f"compare-{len(models)}.prof"
        breakdown_file = measurement_hooks(root, env, profile_file, breakdown)
        signalled = profile is not None or breakdown
        with python_on_pty(["-m", "toki_tui"], env, ROWS, COLUMNS) as (pid, watcher):
            if watcher.wait_for(b"Enter sends", 0, 30.0) is None:
                raise RuntimeError("toki did not draw its prompt")
            time.sleep(1.0)  # the work toki leaves for after the first frame
            if len(models) > 1:
                os.write(watcher.fd, ("/compare " + " ".join(models) + "\r").encode())
                if watcher.wait_for(b"the next prompt goes to", 0, 10.0) is None:
                    raise RuntimeError("compare was not armed")
            start = len(watcher.output)
            os.write(watcher.fd, b"go\r")
            server.wait_for_chat_requests(len(models), timeout=10.0)
            cpu_start, wall_start = cpu_seconds(pid), time.monotonic()
            if signalled:
                os.kill(pid, signal.SIGUSR1)
            keys_typed = [0]
            latencies: list[float] = []
            needles = [marker.encode() for marker in markers]
            deadline = wall_start + token_count / rate * 4 + 30
            while not all_seen(watcher, needles, start) and time.monotonic() < deadline:
                latencies += type_and_measure(watcher, keys_typed, None, 0.5)
            cpu = cpu_seconds(pid) - cpu_start
            seconds = time.monotonic() - wall_start
            if signalled:
                os.kill(pid, signal.SIGUSR2)
                time.sleep(1.0)  # the stats are written on toki's main thread
        if breakdown:
            print_breakdown(json.loads(breakdown_file.read_text()))
    received = token_count * len(models)
    return RunFigures(label, received, seconds, cpu / received * 1e6, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2_000, help="tokens per reply")
    parser.add_argument("--rate", type=float, default=500.0, help="tokens per second, per reply")
    hooks = parser.add_mutually_exclusive_group()
    hooks.add_argument("--profile", type=Path, help="write a cProfile of each streaming window into this folder")
    hooks.add_argument("--breakdown", action="store_true", help="print where the main thread's CPU went")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"toki under a pty {COLUMNS}x{ROWS}, {args.tokens:,} tokens per reply at {args.rate:,.0f} tok/s; load {load}")
    one = run("one stream", MODELS[:1], args.tokens, args.rate, args.profile, args.breakdown)
    print(one.report())
    three = run("compare, 3 models", MODELS, args.tokens, args.rate, args.profile, args.breakdown)
    print(three.report())
    ratio = three.cpu_us_per_token / one.cpu_us_per_token
    p95 = percentile(three.key_latencies, 0.95)
    print(
        f"CPU per token, compare / one stream: {ratio:.2f}x (goal <= 1.5x); compare key p95 {ms(p95)} (goal <= 50 ms)"
    )


if __name__ == "__main__":
    main()
