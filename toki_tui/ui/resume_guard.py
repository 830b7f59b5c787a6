"""SIGCONT after a hang-up must not start Textual's output again.

When a terminal hangs up (its window closed, a tmux pane killed), the kernel sends the session's leader SIGHUP and
SIGCONT together. Textual's Linux driver answers SIGCONT, meant for a resume after a suspension, by starting
application mode again, whether or not the app was suspended: on the dead terminal the new output thread dies at
its first write, the frames drawn before toki's SIGHUP handler runs fill that thread's queue, and the exit then
waits on it forever. toki stayed running after its terminal closed, and its MCP servers with it (about one time in
five, closing a tmux pane right after start-up). The guard passes SIGCONT on to Textual only while the terminal is
still there; toki then ends on the SIGHUP (or, with no signal, when its terminal watch sees the terminal gone).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any


def guard_resume_signal(terminal_fd: int | None = None) -> Callable[[int, FrameType | None], None] | None:
    """Wrap the SIGCONT handler in place (Textual's driver installs one) so it runs only while `terminal_fd` (by
    default stdin, the terminal Textual's driver checks) is still a terminal; the wrapper is returned (None where
    there is no SIGCONT, no terminal or no handler to wrap)."""
    number = getattr(signal, "SIGCONT", None)
    if terminal_fd is None and sys.__stdin__ is not None:
        terminal_fd = sys.__stdin__.fileno()
    if number is None or terminal_fd is None:
        return None
    original: Any = signal.getsignal(number)
    if not callable(original):
        return None

    fd = terminal_fd

    def resume(signum: int, frame: FrameType | None) -> None:
        if terminal_alive(fd):
            original(signum, frame)

    signal.signal(number, resume)
    return resume


def terminal_alive(terminal_fd: int) -> bool:
    """A terminal that has hung up is no longer one: every request on it fails."""
    try:
        return os.isatty(terminal_fd)
    except OSError:
        return False
