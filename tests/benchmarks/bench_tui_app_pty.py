"""The whole of toki under a real pseudo-terminal, streaming from the fake server over loopback HTTP.

bench_tui_stream measures the conversation pane inside a small app. This one runs `python -m toki_tui` itself,
as a user starts it, with everything it has on screen (the prompt, the status line with tokens per second, the
sidebar, the footer) and everything it does per token (HTTP, SSE decoding, the reply pump, the store's
checkpoints). The parent plays the terminal and the server: it sends a prompt, the fake server streams the
reply at the target rate, and the parent types a key into the prompt every 80 ms, watching the app's output.

Prints, for each scenario (20,000 tokens of mixed Markdown; one 5,000-token code fence):
  - last byte sent by the server -> END marker written to the terminal;
  - the app's CPU time (user + system, read from /proc) per token, from the first byte to END on screen;
  - key written to the pty -> the typed character written back (p50 / p95 / max), during the stream.
Figures only; never fails on a number.

    python -m tests.benchmarks.bench_tui_app_pty [--tokens 20000] [--rate 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from tests.benchmarks.tui_bench_app import END_MARKER, long_fence, mixed_markdown, ms, percentile
from tests.benchmarks.tui_bench_pty import python_on_pty, toki_environment, type_and_measure
from tests.fakes.replies import Part, Reply
from tests.fakes.server import FakeServer
from tests.fakes.streams import stream_text

COLUMNS, ROWS = 140, 45
BATCH_SECONDS = 0.004
"""The server writes the tokens due in each 4 ms as one write: a fast provider's packets, not one per token."""


def paced_stream(tokens: list[str], rate: float) -> Reply:
    """An OpenAI-shaped stream of `tokens`, written at `rate` tokens per second."""
    events = stream_text(tokens, coalesce=False)
    per_write = max(1, round(rate * BATCH_SECONDS))
    head, body, tail = events.parts[:1], events.parts[1 : 1 + len(tokens)], events.parts[1 + len(tokens) :]
    paced = [
        Part(b"".join(part.data for part in body[start : start + per_write]), per_write / rate)
        for start in range(0, len(body), per_write)
    ]
    return Reply(
        status=events.status,
        content_type=events.content_type,
        headers=events.headers,
        parts=(*head, *paced, *tail),
        framing="chunked",
        paced=True,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(scenario: str, tokens: list[str], rate: float) -> None:
    with tempfile.TemporaryDirectory(prefix="toki-bench-app-") as folder, FakeServer() as server:
        server.default_reply = paced_stream(tokens, rate)
        root = Path(folder)
        env = toki_environment(server.base_url, root, COLUMNS=str(COLUMNS), LINES=str(ROWS))
        with python_on_pty(["-m", "toki_tui"], env, ROWS, COLUMNS) as (pid, watcher):
            fd = watcher.fd
            if watcher.wait_for(b"Enter sends", 0, 30.0) is None:
                raise RuntimeError("toki did not draw its prompt")
            time.sleep(1.0)  # the work toki leaves for after the first frame (sidebar fields, imports)
            keys_typed = [0]
            idle = type_and_measure(watcher, keys_typed, None, 1.0)
            os.write(fd, b"\x15")  # Ctrl+U: clear the typed keys, then ask
            time.sleep(0.2)
            os.write(fd, b"go\r")
            requests = server.wait_for_chat_requests(1, timeout=10.0)
            cpu_start = cpu_seconds(pid)
            keys_typed[0] = 0
            during = type_and_measure(watcher, keys_typed, END_MARKER.encode(), 120.0)
            end_seen = watcher.wait_for(END_MARKER.encode(), 0, 30.0)
            cpu = cpu_seconds(pid) - cpu_start
            request = requests[0]
            request.wait_finished(10.0)
            last_byte = request.completed_at
            stream_seconds = (last_byte or time.monotonic()) - request.received_at
    to_screen = None if end_seen is None or last_byte is None else end_seen - last_byte
    print(
        f"toki under a pty {COLUMNS}x{ROWS}, {scenario}: {len(tokens):,} tokens, target {rate:,.0f} tok/s, "
        f"served in {stream_seconds:.1f} s ({len(tokens) / stream_seconds:,.0f} tok/s)\n"
        f"  last byte sent -> END written to the terminal: {ms(to_screen)}\n"
        f"  CPU of the app: {cpu / len(tokens) * 1e6:.0f} us/token (first byte -> END on screen, keys included)\n"
        f"  key -> echoed during the stream: p50 {ms(percentile(during, 0.5))}, p95 {ms(percentile(during, 0.95))}, "
        f"max {ms(max(during) if during else None)} over {len(during)} keys\n"
        f"  key -> echoed on the idle app: p50 {ms(percentile(idle, 0.5))}, p95 {ms(percentile(idle, 0.95))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=2_000.0)
    parser.add_argument("--scenario", choices=["mixed", "fence", "both"], default="both")
    args = parser.parse_args()
    if args.scenario in ("mixed", "both"):
        run("mixed Markdown", mixed_markdown(args.tokens), args.rate)
    if args.scenario in ("fence", "both"):
        run("one 5,000-token code fence", long_fence(5000), args.rate)


if __name__ == "__main__":
    main()
