"""`toki history ...`: open the store and hand over to the history subcommands."""

from __future__ import annotations

import argparse
import sys

from toki_tui.cli.common import exit_code_for, open_store, report
from toki_tui.cli.history import run_history
from toki_tui.core.errors import TokiError


def run_history_command(args: argparse.Namespace) -> int:
    try:
        store = open_store()
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    try:
        return run_history(args, store, sys.stdout, sys.stderr)
    except BrokenPipeError:
        return 0
    finally:
        store.close()
