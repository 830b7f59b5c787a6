"""bench_tui_stream under a real pseudo-terminal: the app runs in a child process on a pty (terminal writes
included), the parent types keys into it and watches its output, as a terminal emulator would.

Measured from outside: key written to the pty -> the typed character appears in the app's output; the time
from the child's last append to the END marker appearing in the output (both on CLOCK_MONOTONIC, which is
shared by the processes); and the child's own CPU time per token while streaming.
"""

from __future__ import annotations

import asyncio
import bisect
import fcntl
import gc
import json
import os
import pty
import select
import signal
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.benchmarks.tui_bench_app import END_MARKER, BenchApp, long_fence, mixed_markdown, ms, percentile
from toki_tui.cli.tui import raise_frame_rate_cap

COLUMNS, ROWS = 140, 45
KEY_INTERVAL = 0.08
START_DELAY = 2.0  # seconds the child waits before streaming: the parent measures idle keys meanwhile


class StreamingBenchApp(BenchApp):
    def __init__(self, tokens: list[str], rate: float, result_path: str) -> None:
        super().__init__()
        self.tokens = tokens
        self.rate = rate
        self.result_path = result_path
        self.gc_pauses: GcPauses | None = None

    def on_mount(self) -> None:
        from tests.benchmarks.bench_tui_stream import history

        self.conversation.show_messages(history(20), has_older=False)
        self.prompt.focus()
        self.run_worker(self.stream(), exit_on_error=True)

    async def stream(self) -> None:
        from tests.benchmarks.bench_tui_stream import stream_tokens

        await asyncio.sleep(START_DELAY)
        live = self.conversation.start_reply(model="bench")
        await asyncio.sleep(0.2)
        cpu_start = time.process_time()
        first_append = time.monotonic()
        last_append_perf = await stream_tokens(live, self.tokens, self.rate)
        last_append = time.monotonic() - (time.perf_counter() - last_append_perf)
        live.finish(status="complete")
        await asyncio.sleep(0.3)  # the trailing render and its terminal write
        cpu = time.process_time() - cpu_start
        with open(self.result_path, "w") as result:
            pauses = self.gc_pauses.full if self.gc_pauses is not None else []
            json.dump({"first_append": first_append, "last_append": last_append, "cpu": cpu, "gc_full": pauses}, result)
        await asyncio.sleep(1.5)  # the parent keeps typing a little; then quit
        self.exit()


class GcPauses:
    """Collects the duration of each garbage collection of the oldest generation (the ones that stall)."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info["generation"] == 2:
            self.full.append(time.perf_counter() - self._started)


def run_child(scenario: str, token_count: int, rate: float) -> None:
    tokens = mixed_markdown(token_count) if scenario == "mixed" else long_fence(5000)
    if os.environ.get("TOKI_BENCH_GC") != "default":
        # What `toki` does before running the app (toki_tui/cli/tui.py); TOKI_BENCH_GC=default measures without.
        from toki_tui.cli.tui import tune_garbage_collector

        tune_garbage_collector()
    if threshold := os.environ.get("TOKI_BENCH_GC_THRESHOLD"):  # e.g. "50000,20,100"
        gc.set_threshold(*(int(part) for part in threshold.split(",")))
    app = StreamingBenchApp(tokens, rate, os.environ["TOKI_BENCH_RESULT"])
    app.gc_pauses = GcPauses()
    app.run()


class PtyWatcher:
    """Reads the app's output, noting when each chunk arrived, so a text's arrival time is exact."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.output = bytearray()
        self.arrivals: list[tuple[int, float]] = []  # (end offset of a chunk, monotonic time it was read)

    def pump(self, timeout: float) -> bool:
        """Read what the app wrote; False once the child closed the pty."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.output += data
        self.arrivals.append((len(self.output), time.monotonic()))
        return True

    def arrival_of(self, needle: bytes, start: int) -> float | None:
        """When the first occurrence of `needle` at or after `start` was complete, or None if not yet."""
        found = self.output.find(needle, max(0, start - len(needle)))
        if found < 0:
            return None
        end = found + len(needle)
        index = bisect.bisect_left(self.arrivals, end, key=lambda arrival: arrival[0])
        return self.arrivals[index][1]

    def wait_for(self, needle: bytes, start: int, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.arrival_of(needle, start)
            if seen is not None:
                return seen
            if not self.pump(0.002):
                return None
        return None


def toki_environment(base_url: str, root: Path, **extra: str) -> dict[str, str]:
    """The environment of a toki child as a user runs it, against the server at `base_url`, with its config,
    history and cache under `root`: this process's without its TOKI_ variables, byte-code cached (as installed)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOKI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        TERM="xterm-256color",
        TOKI_BASE_URL=base_url,
        TOKI_API_KEY="bench-key",
        TOKI_CONFIG_DIR=str(root / "config"),
        TOKI_DATA_DIR=str(root / "data"),
        TOKI_CACHE_DIR=str(root / "cache"),
        **extra,
    )
    return env


@contextmanager
def program_on_pty(argv: list[str], env: Mapping[str, str], rows: int, columns: int) -> Iterator[tuple[int, int]]:
    """`argv` (the program's path first) on a pseudo-terminal of `rows` x `columns`: its pid and the pty's fd.
    The child is stopped on leaving."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the app
        os.execve(argv[0], argv, dict(env))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        yield pid, fd
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


@contextmanager
def python_on_pty(args: list[str], env: Mapping[str, str], rows: int, columns: int) -> Iterator[tuple[int, PtyWatcher]]:
    """`python ARGS` on a pseudo-terminal: its pid and a watcher of what it writes (whose `fd` takes keys)."""
    with program_on_pty([sys.executable, *args], env, rows, columns) as (pid, fd):
        yield pid, PtyWatcher(fd)


def type_and_measure(watcher: PtyWatcher, keys_typed: list[int], until: bytes | None, duration: float) -> list[float]:
    """Type 'x' every KEY_INTERVAL for `duration` (or until `until` appears); latency of each echo."""
    latencies: list[float] = []
    end = time.monotonic() + duration
    search_from = len(watcher.output)
    while time.monotonic() < end:
        if until is not None and watcher.output.find(until, search_from) >= 0:
            break
        if keys_typed[0] >= 100:  # keep the run of x's shorter than the prompt: clear it (Ctrl+U)
            os.write(watcher.fd, b"\x15")
            watcher.wait_for(b"x" * 3, len(watcher.output), 0.3)
            keys_typed[0] = 0
        keys_typed[0] += 1
        start = len(watcher.output)
        sent = time.monotonic()
        os.write(watcher.fd, b"x")
        seen = watcher.wait_for(b"x" * keys_typed[0], start, 1.0)
        if seen is not None:
            latencies.append(seen - sent)
        next_key = sent + KEY_INTERVAL
        while time.monotonic() < next_key:
            watcher.pump(max(0.0, next_key - time.monotonic()))
    return latencies


def run_parent(scenario: str, token_count: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        result_path = os.path.join(folder, "result.json")
        env = dict(os.environ, TERM="xterm-256color", TOKI_BENCH_RESULT=result_path, COLUMNS=str(COLUMNS))
        env["LINES"] = str(ROWS)
        raise_frame_rate_cap(env)  # as `toki` does before importing Textual (toki_tui/cli/tui.py)
        child = ["-m", "tests.benchmarks.bench_tui_stream", "--pty-child", scenario]
        child += ["--tokens", str(token_count), "--rate", str(rate)]
        with python_on_pty(child, env, ROWS, COLUMNS) as (_pid, watcher):
            ready = watcher.wait_for(b"earlier message", 0, 20.0)
            keys_typed = [0]
            time.sleep(0.3)
            idle = type_and_measure(watcher, keys_typed, None, 1.0) if ready else []
            watcher.wait_for("streaming…".encode(), 0, 10.0)
            during = type_and_measure(watcher, keys_typed, END_MARKER.encode(), 60.0)
            end_seen = watcher.wait_for(END_MARKER.encode(), 0, 10.0)
            while watcher.pump(0.05):
                pass
        with open(result_path) as result_file:
            child = json.load(result_file)
    tokens = len(mixed_markdown(token_count) if scenario == "mixed" else long_fence(5000))
    figures = {
        "scenario": scenario,
        "tokens": tokens,
        "last_append_to_terminal_ms": None if end_seen is None else (end_seen - child["last_append"]) * 1000,
        "cpu_us_per_token": child["cpu"] / tokens * 1e6,
        "keys_during_stream": len(during),
        "key_p50_ms": percentile(during, 0.5) * 1000,
        "key_p95_ms": percentile(during, 0.95) * 1000,
        "key_max_ms": max(during) * 1000 if during else None,
        "idle_key_p50_ms": percentile(idle, 0.5) * 1000,
        "idle_key_p95_ms": percentile(idle, 0.95) * 1000,
        "terminal_bytes": len(watcher.output),
    }
    print(
        f"pty {COLUMNS}x{ROWS}, {scenario}: {tokens:,} tokens at {rate:,.0f} tok/s\n"
        f"  last append -> END on the terminal: {ms(None if end_seen is None else end_seen - child['last_append'])}\n"
        f"  CPU (child): {figures['cpu_us_per_token']:.0f} us/token; {len(watcher.output) / 1e6:.1f} MB written\n"
        f"  key -> echoed during stream: p50 {figures['key_p50_ms']:.1f} ms, p95 {figures['key_p95_ms']:.1f} ms, "
        f"max {figures['key_max_ms'] or float('nan'):.1f} ms over {len(during)} keys\n"
        f"  key -> echoed on the idle app: p50 {figures['idle_key_p50_ms']:.1f} ms, "
        f"p95 {figures['idle_key_p95_ms']:.1f} ms\n"
        f"  full garbage collections in the child: {len(child['gc_full'])}, longest "
        f"{max(child['gc_full'], default=0) * 1000:.0f} ms, total {sum(child['gc_full']) * 1000:.0f} ms"
    )
    return figures
