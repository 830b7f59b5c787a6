"""`toki` with no command: the full-screen chat. Textual is imported only here."""

from __future__ import annotations

import argparse

from toki_tui.cli.common import EXIT_USAGE, exit_code_for, load_settings_and_preset, report
from toki_tui.core.errors import TokiError


def run_tui_command(args: argparse.Namespace) -> int:
    import gc

    from toki_tui.cli.tui import pause_garbage_collector

    pause_garbage_collector()  # until the first frame (the app's on_started turns it back on)
    try:
        try:
            config, resolved, preset = load_settings_and_preset(args)
        except TokiError as error:
            report(str(error))
            return exit_code_for(error)
        if (problem := _resume_problem(args)) is not None:
            report(problem)
            return EXIT_USAGE
        from toki_tui.cli.tui import run_tui

        return run_tui(args, config, resolved, preset)
    finally:
        gc.enable()  # whatever happened before the first frame, the rest of the process collects as usual


def _resume_problem(args: argparse.Namespace) -> str | None:
    """Why `--resume`'s reference names no single conversation (checked before the screen is touched), or None."""
    reference = getattr(args, "resume", None)
    if not reference:
        return None
    from toki_tui.core.config import paths
    from toki_tui.core.store.conversation_ref import resume_problem

    return resume_problem(paths.history_file(), reference)
