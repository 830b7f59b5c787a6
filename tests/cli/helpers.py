"""Run `toki` as a real subprocess, the way a user or a script does."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time


def run_toki(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toki_tui", *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def popen_toki(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "toki_tui", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_stdout_until(process: subprocess.Popen[str], needle: str, timeout: float = 20) -> str:
    """What `process` wrote to its stdout pipe up to and including `needle` (perhaps a little more); fails if it
    does not come within `timeout` seconds. Read straight from the pipe, so communicate() gets the rest."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([descriptor], [], [], max(left, 0))
        chunk = os.read(descriptor, 65536) if ready else b""
        if not chunk:
            raise AssertionError(f"{needle!r} did not come on stdout; it had {seen[-300:]!r}")
        seen += chunk
    return seen.decode()
