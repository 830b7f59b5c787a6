"""Running the full-screen chat from the command line. Textual is imported here, never by `toki ask`."""

from __future__ import annotations

import argparse
import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toki_tui.core.config.config_file import Config
    from toki_tui.core.config.endpoints import ResolvedEndpoint
    from toki_tui.core.config.presets import Preset


def pause_garbage_collector() -> None:
    """No garbage collection until the first frame is drawn (tune_garbage_collector turns it back on).

    Start-up only allocates what the app keeps (modules, classes, widgets, styles): the collections it set off
    found almost nothing and cost part of the cold start (figures: docs/performance.md)."""
    import gc

    from toki_tui.ui.gc_policy import generational_collector

    if generational_collector():
        gc.disable()


def tune_garbage_collector() -> None:
    """Keep full garbage collections out of the middle of a stream.

    A streaming reply allocates many small objects (segments, lines); under the default thresholds long full
    collections landed mid-stream and delayed typed keys (tests/benchmarks/bench_tui_stream.py --pty; figures in
    docs/performance.md). Freezing what start-up allocated, and collecting the young generations less often,
    removed them. Cyclic garbage is still collected, only in larger batches. The middle generation is collected
    every 5 young collections (not 20), which keeps its pauses short. This holds for CPython's three-generation
    collector: on any other (gc_policy.generational_collector) the collector is left as the interpreter set it.
    """
    import gc

    from toki_tui.ui.gc_policy import generational_collector

    if not generational_collector():
        return
    gc.freeze()
    gc.set_threshold(10_000, 5, 100)
    gc.enable()


THREAD_SWITCH_INTERVAL = 0.0005
"""Seconds a busy thread keeps the GIL while another waits for it (Python's default is 0.005)."""


def shorten_thread_switch_interval() -> None:
    """Let Textual's output thread write a frame soon after it is composed.

    Textual composes a frame on the main thread and hands it to a thread that writes it to the terminal. That
    thread needs the GIL; while the main thread is busy (the work right after the first frame, a streaming
    reply), it waited up to the switch interval, several times per frame, so the first frame reached a terminal
    late (figures: docs/performance.md). The interval only matters when two threads want the GIL: the TUI's main
    thread and, for a moment at start-up, the thread that imports what the first request needs.
    """
    import sys

    sys.setswitchinterval(THREAD_SWITCH_INTERVAL)


FRAME_RATE_CAP = "120"
"""Textual paints at most this many frames a second (its default is 60)."""


def raise_frame_rate_cap(environ: MutableMapping[str, str] = os.environ) -> None:
    """Let Textual paint up to 120 frames a second, unless the user chose a rate with TEXTUAL_FPS.

    Textual paints on a timer, so a typed key waits for the next tick (up to a frame's time). While a reply
    streams, that wait comes on top of the frame that draws the reply (key latency under a real terminal:
    tests/benchmarks/bench_tui_app_pty.py, figures in docs/performance.md).
    Frames are still only drawn when something changed, so an idle or streaming app draws no more of them.
    Must run before Textual is imported (it reads the variable once).
    """
    environ.setdefault("TEXTUAL_FPS", FRAME_RATE_CAP)


def run_tui(
    args: argparse.Namespace, config: Config, resolved_endpoint: ResolvedEndpoint, preset: Preset | None = None
) -> int:
    """Open the chat on a new conversation, or on `--resume`'s, with `--preset`'s settings; returns the exit code.
    The app opens the history itself, after its first frame (before it, to resume); an error opening it is
    reported here, once the terminal is back."""
    raise_frame_rate_cap()
    shorten_thread_switch_interval()
    from toki_tui.cli.common import exit_code_for, report
    from toki_tui.ui.factory import create_app

    resume = getattr(args, "resume", None)
    app = create_app(
        config=config, endpoint=resolved_endpoint, resume=resume, preset=preset, on_started=tune_garbage_collector
    )
    try:
        result = app.run()
    finally:
        from toki_tui.cli.held_signals import signals_held

        with signals_held():  # Ctrl+C after Ctrl+Q would leave the MCP servers' process groups running
            app.stop_mcp()
            app.close_history()
    if app.startup_error is not None:
        report(str(app.startup_error))
        return exit_code_for(app.startup_error)
    if result is None:  # no result: the app did not quit by itself (Textual printed the traceback of a crash)
        return app.return_code or 0
    return int(result)
