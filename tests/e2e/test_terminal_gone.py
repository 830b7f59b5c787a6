"""A terminal can go away without a SIGHUP reaching toki (its pty's other end closed while toki was not the
session's foreground job). Textual's input thread then reads end-of-file in a loop; toki notices the terminal is
gone and ends as a SIGHUP would, instead of spinning a core forever."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

from tests.e2e.pty_support import FIRST_FRAME


def test_toki_ends_when_its_terminal_goes_away_without_a_signal(toki_env: dict[str, str]) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**toki_env, "TERM": "xterm-256color"}
    # A new session without a controlling terminal: closing the pty sends toki no SIGHUP.
    process = subprocess.Popen(
        [sys.executable, "-m", "toki_tui"], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    try:
        output = b""
        deadline = time.monotonic() + 15
        while FIRST_FRAME not in output and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                output += os.read(master, 65536)
        assert FIRST_FRAME in output, output[-300:]
        os.close(master)  # the terminal is gone
        master = -1
        assert process.wait(timeout=10) == 128 + 1  # as a SIGHUP (1) would end it
    finally:
        if master >= 0:
            os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
