"""`toki ask` speed against references measured in the same run (issue 2's Speed section).

1. CPU per streamed token: `toki ask` vs a bare consumer (plain httpx + a line split + json.loads), both as
   subprocesses reading 20,000 tokens from the loopback fake server as fast as it sends. Each is also run with a
   1-token reply, and the difference is divided by the token count, so process start-up cancels out.
2. Start-up: process start to the request arriving at the server, vs the wall time of `python -c "import httpx"`.

Run: python -m tests.benchmarks.bench_ask   (prints figures; never fails on a number)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fakes.server import FakeServer, stream_text

TOKENS = 20_000
RUNS = 5

REFERENCE = r"""
import json, sys, httpx
url = sys.argv[1]
body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
with httpx.Client(timeout=60) as client:
    with client.stream("POST", url + "/chat/completions", json=body, headers={"Authorization": "Bearer k"}) as r:
        buffer = b""
        out = []
        for chunk in r.iter_bytes():
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b"data: ") and line[6:] != b"[DONE]":
                    delta = json.loads(line[6:])["choices"]
                    if delta and delta[0]["delta"].get("content"):
                        sys.stdout.write(delta[0]["delta"]["content"])
sys.stdout.flush()
"""


def child_cpu(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) a child process spent."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def per_token_cpu(server: FakeServer, command: list[str], env: dict[str, str]) -> float:
    big = stream_text(["tok "] * TOKENS)
    small = stream_text(["tok "])
    samples = []
    for _ in range(RUNS):
        server.script(big)
        cpu_big = child_cpu(command, env)
        server.script(small)
        cpu_small = child_cpu(command, env)
        samples.append((cpu_big - cpu_small) / (TOKENS - 1))
    return statistics.median(samples)


def startup_to_request(server: FakeServer, command: list[str], env: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        server.script(stream_text(["ok"]))
        count = len(server.requests)
        started = time.monotonic()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
        samples.append(server.requests[count].received_at - started)
    return statistics.median(samples)


def wall_time(command: list[str], env: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.monotonic()
        subprocess.run(command, env=env, check=True)
        samples.append(time.monotonic() - started)
    return statistics.median(samples)


def main() -> None:
    with FakeServer() as server, tempfile.TemporaryDirectory() as folder:
        # Byte-code caching on, as in a real install (pip compiles the package); the warm-up runs write it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKI_") and k != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            TOKI_CONFIG_DIR=str(Path(folder) / "config"),
            TOKI_DATA_DIR=str(Path(folder) / "data"),
            TOKI_CACHE_DIR=str(Path(folder) / "cache"),
            TOKI_BASE_URL=server.base_url,
            TOKI_API_KEY="sk-bench",
        )
        toki = [sys.executable, "-m", "toki_tui", "ask", "--no-save", "hi"]
        toki_saving = [sys.executable, "-m", "toki_tui", "ask", "hi"]
        reference = [sys.executable, "-c", REFERENCE, server.base_url]

        for command in (toki, toki_saving, reference):
            server.script(stream_text(["warm-up"]))
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
        ref_cpu = per_token_cpu(server, reference, env)
        toki_cpu = per_token_cpu(server, toki, env)
        toki_saving_cpu = per_token_cpu(server, toki_saving, env)
        print(f"CPU per token, {TOKENS} tokens, median of {RUNS} (start-up subtracted):")
        print(f"  bare httpx + split + json.loads : {ref_cpu * 1e6:7.1f} µs")
        for label, value in (("toki ask --no-save", toki_cpu), ("toki ask (saving to history)", toki_saving_cpu)):
            print(f"  {label:<31.31} : {value * 1e6:7.1f} µs  ratio {value / ref_cpu:.2f}x")

        import_httpx = wall_time([sys.executable, "-c", "import httpx"], env)
        toki_start = startup_to_request(server, toki, env)
        toki_start_saving = startup_to_request(server, toki_saving, env)
        print(f"Start-up, median of {RUNS}:")
        print(f"  python -c 'import httpx' (wall)        : {import_httpx * 1000:6.1f} ms")
        for label, value in (
            ("toki ask --no-save, start to request", toki_start),
            ("toki ask (saving), start to request", toki_start_saving),
        ):
            print(f"  {label:<38} : {value * 1000:6.1f} ms  ratio {value / import_httpx:.2f}x")


if __name__ == "__main__":
    main()
