"""The `toki` command: parse argv, then hand over to one subcommand module.

This module stays import-light on purpose: `toki ask` must start about as fast as `import httpx` and must never
import Textual, so each subcommand's module is imported only when that subcommand runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from toki_tui import __version__
from toki_tui.cli.arguments import (
    add_attach_argument,
    add_endpoint_arguments,
    add_parameter_arguments,
    add_preset_argument,
    positive_count,
)

COMMANDS = ("ask", "models", "history", "usage", "config", "mcp")
"""The subcommands build_parser adds (a test checks the two agree)."""

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """The whole command line; `with_commands=False` gives only its top level (the TUI's options)."""
    parser = argparse.ArgumentParser(
        prog="toki",
        description="A terminal chat client for TOKI and any OpenAI-compatible API. "
        "Run without a command to open the full-screen chat.",
        exit_on_error=with_commands,
        add_help=with_commands,  # any spelling of --help (argparse takes --he) is left over: the whole parser's
    )
    parser.add_argument("--version", action="version", version=f"toki {__version__}")
    add_endpoint_arguments(parser)
    parser.add_argument("--resume", metavar="ID", help="open a saved conversation (an id, a unique prefix, or 'last')")
    add_preset_argument(parser)
    if not with_commands:
        parser.set_defaults(command=None)
        return parser
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = commands.add_parser(
        "ask",
        help="ask one question and stream the answer to stdout (reads stdin when piped)",
        description="Stream one reply to stdout. Piped stdin comes first, then PROMPT. "
        "Reasoning goes to stderr. Exit codes: 0 ok, 1 API or network error, 2 usage or config error, "
        "130 interrupted.",
    )
    ask.add_argument("prompt", nargs="*", help="the question (joined with spaces)")
    add_endpoint_arguments(ask)
    add_preset_argument(ask, "-p")
    add_parameter_arguments(ask)
    add_attach_argument(ask)
    ask.add_argument(
        "-c",
        "--continue",
        dest="continue_last",
        action="store_true",
        help="continue the most recent conversation",
    )
    ask.add_argument("--conversation", metavar="ID", help="continue this conversation (id, unique prefix or 'last')")
    ask.add_argument("--no-save", action="store_true", help="do not save this exchange in the history")
    ask.add_argument("--usage", action="store_true", help="print token usage and cost to stderr at the end")
    ask.add_argument("--mcp", action="store_true", help="offer the tools of the configured MCP servers ([mcp_servers])")
    ask.add_argument(
        "--yes", action="store_true", help="with --mcp: run the MCP tool calls the model makes (else print them)"
    )
    ask.add_argument(
        "--compare",
        metavar="M1,M2",
        help="ask 2-4 models at once (comma-separated ids); the first model's reply streams, the others are "
        "buffered and printed after it, each under a header, then a summary table; exit 1 if any failed",
    )

    models = commands.add_parser("models", help="list the endpoint's models with context length and price")
    add_endpoint_arguments(models, with_model=False)
    models.add_argument("--json", action="store_true", help="print JSON for scripts")

    from toki_tui.cli.history_arguments import add_history_parser

    add_history_parser(commands)

    usage = commands.add_parser(
        "usage",
        help="tokens and estimated cost from the history, per model, day or conversation",
        description="Sum the tokens and estimated cost of saved replies. A cost is an estimate from each reply's "
        "usage and the price in force when it ended; a reply with no known price is counted as unpriced, never "
        "as free.",
    )
    usage.add_argument("--since", metavar="WHEN", help="only replies since WHEN: 30m, 24h, 7d, 2w or 2026-11-01")
    usage.add_argument("--by", choices=("model", "day", "conversation"), default="model", help="default: model")
    usage.add_argument(
        "--limit",
        type=positive_count,
        metavar="N",
        help="only the N rows with the most tokens (by day: the N latest days); the total still counts every reply",
    )
    usage.add_argument("--json", action="store_true", help="print JSON for scripts")

    config = commands.add_parser("config", help="show where the config lives, or write an example config")
    config.add_argument(
        "action",
        choices=["path", "init", "show", "keys"],
        help="path: print the file's path; init: "
        "write a commented example if there is none; show: print the effective settings; "
        "keys: every key binding's id, its key (with the [keymap] applied) and what it does",
    )
    config.add_argument("--json", action="store_true", help="keys: print the table as JSON")

    mcp = commands.add_parser("mcp", help="start the configured MCP servers, list their state and tools, and exit")
    mcp.add_argument("action", choices=["list"], help="list: each server with its state and its tools")
    mcp.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """`toki` with only top-level options (the TUI, the common case) is parsed without building every command's
    parser, a measurable part of the TUI's cold start (docs/performance.md). Anything else (a command, help, a
    mistake) goes to the whole parser, so its answers and error messages are the whole parser's. Plain `toki`
    needs no parser at all (argparse looks up translations for each of its strings even for the top level); what
    it would return is checked against the whole parser in tests/cli/test_arguments.py."""
    if not argv:
        return argparse.Namespace(resume=None, command=None)
    if not any(arg in COMMANDS for arg in argv):  # a command (`toki ask`) goes straight to the whole parser
        try:
            args, rest = build_parser(with_commands=False).parse_known_args(argv)
        except argparse.ArgumentError:
            rest = ["(an error the whole parser reports)"]
        if not rest:
            return args
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        exit_code = run_command(args)
        sys.stdout.flush()  # here, not at exit, so a reader that went away is seen below
        return exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (`toki config keys | head -1`): what it wanted it has, so not an error.
        silence_stdout()
        return EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    if args.command == "ask":
        from toki_tui.cli.ask import run_ask

        return run_ask(args)
    if args.command == "models":
        from toki_tui.cli.models import run_models

        return run_models(args)
    if args.command == "history":
        from toki_tui.cli.history_command import run_history_command

        return run_history_command(args)
    if args.command == "usage":
        from toki_tui.cli.usage import run_usage

        return run_usage(args)
    if args.command == "config":
        from toki_tui.cli.config_command import run_config_command

        return run_config_command(args)
    if args.command == "mcp":
        from toki_tui.cli.mcp_command import run_mcp_command

        return run_mcp_command(args)
    from toki_tui.cli.tui_command import run_tui_command

    return run_tui_command(args)


def silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone away, so the interpreter's final flush of what is still
    buffered does not print a BrokenPipeError of its own."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
