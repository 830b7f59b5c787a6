"""Flags shared by several subcommands, so `toki`, `toki ask` and `toki models` spell them the same way."""

from __future__ import annotations

import argparse

from toki_tui.core.api.params import PARAMETER_RANGES, SYSTEM_ROLES


def add_endpoint_arguments(parser: argparse.ArgumentParser, *, with_model: bool = True) -> None:
    # SUPPRESS keeps a flag given before the subcommand from being overwritten by the subparser's default.
    if with_model:
        parser.add_argument("-m", "--model", default=argparse.SUPPRESS, help="model id, e.g. deepseek/deepseek-chat-v3")
    parser.add_argument(
        "--endpoint", metavar="NAME", default=argparse.SUPPRESS, help="a named endpoint from the config"
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="an OpenAI-compatible base URL, e.g. http://localhost:8000/v1",
    )


def add_preset_argument(parser: argparse.ArgumentParser, *flags: str) -> None:
    parser.add_argument(
        *flags,
        "--preset",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="use a preset from the config ([presets.NAME]) or the presets folder; flags given go over it",
    )


def add_parameter_arguments(parser: argparse.ArgumentParser) -> None:
    def described(name: str) -> str:
        return PARAMETER_RANGES[name].describe()

    parser.add_argument("-s", "--system", metavar="TEXT", help="system prompt")
    parser.add_argument(
        "--system-role",
        choices=SYSTEM_ROLES,
        help='send the system prompt as "system" or "developer" (newer OpenAI models); '
        "default: the endpoint's system_role, else system",
    )
    parser.add_argument("--temperature", metavar="T", help=f"sampling temperature, {described('temperature')}")
    parser.add_argument("--top-p", metavar="P", help=f"nucleus sampling, {described('top_p')}")
    parser.add_argument("--max-tokens", metavar="N", help=f"longest reply, {described('max_tokens')}")
    parser.add_argument("--frequency-penalty", metavar="X", help=described("frequency_penalty"))
    parser.add_argument("--presence-penalty", metavar="X", help=described("presence_penalty"))
    parser.add_argument("--json", action="store_true", help="JSON mode: ask for a JSON object (response_format)")
    parser.add_argument("--no-stream", action="store_true", help="wait for the whole reply instead of streaming")
    parser.add_argument("--tools", metavar="FILE", help="a JSON file with an array of tool definitions")
    parser.add_argument("--tool-choice", metavar="CHOICE", help="auto, none, required, or a function name")


def add_attach_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--attach",
        metavar="FILE",
        action="append",
        default=[],
        help="attach a file to the question: a PNG, JPEG, WebP or GIF image, or a UTF-8 text file "
        "(repeatable; - reads stdin as one attachment)",
    )


def flag(args: argparse.Namespace, name: str) -> str | None:
    """The value of a flag that may be absent from the namespace (SUPPRESS defaults)."""
    value = getattr(args, name, None)
    return value if isinstance(value, str) else None


def positive_count(text: str) -> int:
    """An argparse type: a whole number of at least 1 (`--limit`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, not {value}")
    return value
