"""Copied as `sitecustomize.py` onto the PYTHONPATH of the toki that bench_tui_blackbox runs with `--breakdown`.

It times, with the main thread's own CPU clock (`time.thread_time()`), the parts of the main thread's work that
a streaming reply is made of: Textual's frames (`Screen._on_timer_update`; those that laid out the screen apart),
the live reply's flushes, and the event loop's polls. SIGUSR1 starts counting, SIGUSR2 writes the totals as JSON to
the file named by TOKI_BENCH_BREAKDOWN. Nothing is patched unless that variable is set; toki's code has no hook.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any

_totals: dict[str, float] = {}
_counting = False
_started = (0.0, 0.0)


def _add(key: str, seconds: float) -> None:
    _totals[key + "_s"] = _totals.get(key + "_s", 0.0) + seconds
    _totals[key] = _totals.get(key, 0) + 1


def _timed(key: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        if not _counting:
            return function(*args, **kwargs)
        start = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _add(key, time.thread_time() - start)

    return timed


def _install() -> None:
    import selectors

    import textual.screen

    frame = textual.screen.Screen._on_timer_update

    def on_timer_update(screen: textual.screen.Screen[Any]) -> None:
        if not _counting:
            frame(screen)
            return
        layout = screen._layout_required
        start = time.thread_time()
        frame(screen)
        _add("layout_frames" if layout else "frames", time.thread_time() - start)

    textual.screen.Screen._on_timer_update = on_timer_update  # type: ignore[method-assign, assignment]
    selector = selectors.DefaultSelector
    selector.select = _timed("loop_polls", selector.select)  # type: ignore[method-assign]


def _install_live_reply() -> None:
    # Imported when counting starts: toki imports it only once a message is shown.
    from toki_tui.ui.widgets.live_reply import LiveReply

    LiveReply._flush = _timed("flushes", LiveReply._flush)  # type: ignore[method-assign]


def _start(signum: int, frame: object) -> None:
    global _counting, _started
    _install_live_reply()
    _started = (time.thread_time(), time.monotonic())
    _counting = True


def _stop(signum: int, frame: object) -> None:
    global _counting
    _counting = False
    cpu, wall = time.thread_time() - _started[0], time.monotonic() - _started[1]
    with open(os.environ["TOKI_BENCH_BREAKDOWN"], "w") as handle:
        json.dump({"main_thread_s": cpu, "wall_s": wall, **_totals}, handle)


if os.environ.get("TOKI_BENCH_BREAKDOWN"):
    _install()
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
