"""Signals held while toki stops its MCP servers on the way out.

Stopping is bounded (`McpManager.stop`: a grace, then SIGTERM and SIGKILL to each server's process group), but a
Ctrl+C, SIGTERM or SIGHUP arriving during it would cut it short and leave those groups running: an impatient Ctrl+C
after Ctrl+Q, or after `toki ask --mcp` printed its answer, left a server's children behind. Held, such a signal
takes effect once the servers are stopped, as it would have before.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

HELD_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Within: the held signals are noted, not acted on; on the way out the previous handlers come back and the
    first signal noted is raised again. Only the main thread can set handlers: elsewhere this holds nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(number: int, frame: FrameType | None) -> None:
        noted.append(number)

    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
    for name in HELD_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            previous[int(number)] = signal.signal(number, note)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        if noted:
            signal.raise_signal(noted[0])
