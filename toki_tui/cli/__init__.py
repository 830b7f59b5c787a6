"""The `toki` command: parse argv, build config, client and store, and run a subcommand or the TUI."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("toki: not built yet")
