"""The installed `toki` command, measured from outside as a user runs it: CPU while a reply streams.

The venv's `toki` entry point runs on a pseudo-terminal of 120x40 against the loopback fake server, with its
config, history and cache in a temporary folder. The parent plays the terminal: it drains everything toki writes
(continuously, in a thread, as a terminal emulator does), types a prompt, and reads toki's CPU time (user + system,
from /proc/PID/stat) from the moment the request reached the server (the first token follows at once) to the
reply's END marker appearing on the terminal. For the same wall time, before the prompt, it reads the CPU of the
app sitting still: the idle baseline.

Prints, for 2,000 tokens at 200 tokens/s and 20,000 tokens at 2,000 tokens/s (mixed Markdown): µs of CPU per
token and the share of one core while streaming, next to the idle share. Figures only; never fails on a number.

    python -m tests.benchmarks.bench_tui_blackbox [--runs 1] [--only slow|fast] [--profile DIR | --breakdown]

`--profile DIR` writes a cProfile of the streaming window (first token to END) for each run into DIR, without
touching toki's code: a `sitecustomize` module put on the child's PYTHONPATH starts the profiler on SIGUSR1 and
stops it and writes the stats on SIGUSR2 (read them with `python -m pstats`). `--breakdown` does the same with
`breakdown_hook.py`, and prints where the main thread's CPU went: frames (and those that laid out the screen), the
live reply's flushes, the event loop's polls, with their counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.benchmarks.bench_tui_app_pty import cpu_seconds, paced_stream
from tests.benchmarks.tui_bench_app import END_MARKER, mixed_markdown
from tests.benchmarks.tui_bench_pty import program_on_pty, toki_environment
from tests.fakes.server import FakeServer

COLUMNS, ROWS = 120, 40
SETTLE_SECONDS = 1.5
"""After the prompt is drawn, toki finishes work it left for after the first frame (history list, imports)."""

PROFILER_HOOK = """
import os, signal
if os.environ.get("TOKI_BENCH_PROFILE"):
    import cProfile
    _profiler = cProfile.Profile()

    def _start(signum, frame):
        _profiler.enable()

    def _stop(signum, frame):
        _profiler.disable()
        _profiler.dump_stats(os.environ["TOKI_BENCH_PROFILE"])

    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
"""


class Terminal:
    """What toki wrote, read continuously by a thread; `wait_for` finds when a text arrived."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.output = bytearray()
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            with self._changed:
                if not data:
                    self._closed = True
                else:
                    self.output += data
                self._changed.notify_all()
            if not data:
                return

    def wait_for(self, needle: bytes, start: int, timeout: float) -> float | None:
        """The monotonic time `needle` was read (at or after offset `start`), or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.output.find(needle, max(0, start - len(needle))) < 0:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._changed.wait(left)
            return time.monotonic()

    def type(self, text: bytes) -> None:
        os.write(self.fd, text)


@contextmanager
def toki_on_pty(env: Mapping[str, str]) -> Iterator[tuple[int, Terminal]]:
    """The installed `toki` command on a pty of COLUMNS x ROWS; stopped on leaving."""
    toki = shutil.which("toki", path=os.path.dirname(sys.executable)) or shutil.which("toki")
    if toki is None:
        raise SystemExit("no `toki` command: install the package in this venv (pip install -e .)")
    with program_on_pty([toki], env, ROWS, COLUMNS) as (pid, fd):
        yield pid, Terminal(fd)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread of a process, by thread name (threads of one name summed)."""
    tick = os.sysconf("SC_CLK_TCK")
    per_name: dict[str, float] = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as handle:
                head, tail = handle.read().rsplit(")", 1)
        except OSError:
            continue  # ended meanwhile
        name = "main" if task == str(pid) else head.split("(", 1)[1]
        fields = tail.split()
        per_name[name] = per_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return per_name


def wait_for_request(server: FakeServer, timeout: float) -> float | None:
    """Polls (every ms) for the chat request to reach the server; the monotonic time it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.chat_requests():
            return time.monotonic()
        time.sleep(0.001)
    return None


def hook_environment(root: Path, env: dict[str, str], hook: str) -> None:
    """Puts `hook` as the child's sitecustomize module."""
    (root / "hook").mkdir()
    (root / "hook" / "sitecustomize.py").write_text(hook)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "hook"), env.get("PYTHONPATH")]))


def measurement_hooks(root: Path, env: dict[str, str], profile_file: Path | None, breakdown: bool) -> Path:
    """Put the profiler (writing `profile_file`) or the breakdown hook into the child's environment (--profile and
    --breakdown exclude each other); the file a breakdown is written to."""
    if profile_file is not None:
        hook_environment(root, env, PROFILER_HOOK)
        env["TOKI_BENCH_PROFILE"] = str(profile_file)
    breakdown_file = root / "breakdown.json"
    if breakdown:
        hook_environment(root, env, (Path(__file__).parent / "breakdown_hook.py").read_text())
        env["TOKI_BENCH_BREAKDOWN"] = str(breakdown_file)
    return breakdown_file


def print_breakdown(totals: dict[str, float]) -> None:
    wall = totals["wall_s"]

    def share(key: str) -> str:
        return (
            f"{totals.get(key + '_s', 0.0):.2f} s ({totals.get(key + '_s', 0.0) / wall:.1%}) in {totals.get(key, 0):,}"
        )

    print(
        f"  main thread: {totals['main_thread_s']:.2f} s of CPU ({totals['main_thread_s'] / wall:.1%}); frames "
        f"{share('frames')}, frames with a layout {share('layout_frames')}, flushes {share('flushes')}, "
        f"event-loop polls {share('loop_polls')}",
        flush=True,
    )


def run(label: str, token_count: int, rate: float, profile: Path | None, breakdown: bool) -> dict[str, float]:
    tokens = mixed_markdown(token_count)
    expected = len(tokens) / rate
    with tempfile.TemporaryDirectory(prefix="toki-bench-blackbox-") as folder, FakeServer() as server:
        server.default_reply = paced_stream(tokens, rate)
        root = Path(folder)
        env = toki_environment(server.base_url, root)
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        profile_file = None if profile is None else profile / f"{token_count}-tokens-at-{rate:.0f}.prof"
        breakdown_file = measurement_hooks(root, env, profile_file, breakdown)
        signalled = profile is not None or breakdown
        with toki_on_pty(env) as (pid, terminal):
            if terminal.wait_for(b"Enter sends", 0, 30.0) is None:
                raise RuntimeError("toki did not draw its prompt")
            time.sleep(SETTLE_SECONDS)
            idle_start, idle_cpu = time.monotonic(), cpu_seconds(pid)
            time.sleep(expected)
            idle_wall, idle = time.monotonic() - idle_start, cpu_seconds(pid) - idle_cpu
            terminal.type(b"go\r")
            first = wait_for_request(server, 10.0)
            cpu_start, threads_start = cpu_seconds(pid), thread_cpu(pid)
            if first is None:
                raise RuntimeError("the request never reached the fake server")
            if signalled:
                os.kill(pid, signal.SIGUSR1)
            end = terminal.wait_for(END_MARKER.encode(), 0, expected * 4 + 30.0)
            cpu, threads_end = cpu_seconds(pid) - cpu_start, thread_cpu(pid)
            if signalled:
                os.kill(pid, signal.SIGUSR2)
                time.sleep(1.0)  # the stats are written on toki's main thread
            if end is None:
                raise RuntimeError("the END marker never reached the terminal")
            wall = end - first
            written = len(terminal.output)
        totals = json.loads(breakdown_file.read_text()) if breakdown else None
    threads = {name: spent - threads_start.get(name, 0.0) for name, spent in threads_end.items()}
    figures = {
        "us_per_token": cpu / len(tokens) * 1e6,
        "core": cpu / wall,
        "idle_core": idle / idle_wall,
        "wall": wall,
        "mb": written / 1e6,
    }
    print(
        f"{label}: {len(tokens):,} tokens at {rate:,.0f} tok/s on a {COLUMNS}x{ROWS} pty, streamed in {wall:.1f} s\n"
        f"  toki's CPU while streaming: {figures['us_per_token']:.0f} us/token, {figures['core']:.1%} of one core\n"
        f"  idle baseline ({idle_wall:.1f} s sitting still): {figures['idle_core']:.1%} of one core\n"
        f"  by thread: {', '.join(f'{name} {spent / wall:.1%}' for name, spent in sorted(threads.items()) if spent)}\n"
        f"  terminal output: {figures['mb']:.1f} MB",
        flush=True,
    )
    if totals is not None:
        print_breakdown(totals)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", choices=["slow", "fast"])
    hooks = parser.add_mutually_exclusive_group()
    hooks.add_argument("--profile", type=Path, help="write a cProfile of each streaming window into this folder")
    hooks.add_argument("--breakdown", action="store_true", help="print where the main thread's CPU went")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    for _ in range(args.runs):
        if args.only in (None, "slow"):
            run("200 tok/s", 2_000, 200.0, args.profile, args.breakdown)
        if args.only in (None, "fast"):
            run("2,000 tok/s", 20_000, 2_000.0, args.profile, args.breakdown)


if __name__ == "__main__":
    main()
