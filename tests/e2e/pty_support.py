"""Running the real `toki` on a pseudo-terminal, as a terminal emulator does: its output is collected, keys and
signals can be sent, and its exit status read."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class PtyApp:
    pid: int
    fd: int
    output: bytearray = field(default_factory=bytearray)
    status: int | None = None

    def pump(self, timeout: float) -> bool:
        """Read what the app wrote; False once it closed the pty."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child is gone and the pty closed
            return False
        self.output += data
        return bool(data)

    def wait_for(self, needle: bytes, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if time.monotonic() > deadline or not self.pump(0.05):
                tail = bytes(self.output[-400:])
                raise AssertionError(f"{needle!r} did not appear; the output ends with {tail!r}")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))

    def wait_exit(self, timeout: float = 15.0) -> int:
        """Read until the app exits, then its exit code (-n for a death by signal n)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pump(0.05):
                # The pty is closed: the app is ending; wait for it.
                _, self.status = os.waitpid(self.pid, 0)
                break
            finished, status = os.waitpid(self.pid, os.WNOHANG)
            if finished:
                self.status = status
                while self.pump(0.0):  # whatever is left in the pty
                    pass
                break
        if self.status is None:
            raise AssertionError(f"the app did not exit; the output ends with {bytes(self.output[-400:])!r}")
        return os.waitstatus_to_exitcode(self.status)


LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"
MOUSE_OFF = (b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l")
FIRST_FRAME = b"Ctrl+J"  # in the prompt's placeholder: the chat is on screen


def assert_restored(output: bytes) -> None:
    """The app put the terminal back: left the alternate screen, showed the cursor, stopped mouse tracking."""
    assert LEAVE_ALTERNATE_SCREEN in output
    assert SHOW_CURSOR in output
    for sequence in MOUSE_OFF:
        assert sequence in output


@contextmanager
def toki_on_pty(
    args: list[str],
    env: Mapping[str, str],
    rows: int = 40,
    columns: int = 120,
    command: Sequence[str] = (sys.executable, "-m", "toki_tui"),
) -> Iterator[PtyApp]:
    """`command` (by default this interpreter running the toki_tui package) with `args`, on a new pty."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes toki
        os.execve(command[0], [*command, *args], dict(env))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    app = PtyApp(pid, fd)
    try:
        yield app
    finally:
        if app.status is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        os.close(fd)
