"""`toki history ...`: open the store and hand over to the history subcommands."""

from __future__ import annotations

import argparse
import sys

from toki_tui.cli.common import run_on_history
from toki_tui.cli.history import run_history


def run_history_command(args: argparse.Namespace) -> int:
    return run_on_history(lambda store: run_history(args, store, sys.stdout, sys.stderr))
