"""The flags of `toki history`, apart from the code that runs it.

Every `toki` command builds the whole argument parser, so this module stays light: `toki ask` must not pay for
importing the history store and the export code just to describe `toki history` in its parser.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_history_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    history = subparsers.add_parser("history", help="list, show, search, export, import or delete saved conversations")
    actions = history.add_subparsers(dest="history_action", metavar="ACTION")
    reference_help = "conversation id, a unique prefix of it, or 'last'"

    listing = actions.add_parser("list", help="the most recent conversations (pinned first)")
    listing.add_argument("-n", "--limit", type=int, default=30, help="how many to list (default 30)")
    listing.add_argument("--all", action="store_true", help="include archived conversations")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")

    show = actions.add_parser("show", help="print a conversation (its current branch)")
    show.add_argument("id", metavar="ID", help=reference_help)
    which = show.add_mutually_exclusive_group()
    which.add_argument(
        "--branch",
        type=int,
        metavar="N",
        help="print branch N (branches are numbered by their last message, oldest first)",
    )
    which.add_argument("--all", action="store_true", help="print every branch")
    show.add_argument("--json", action="store_true", help="print JSON for scripts")

    search = actions.add_parser("search", help="full-text search over every message and title")
    search.add_argument("query", metavar="QUERY", nargs="+", help="words to find (all must occur)")
    search.add_argument("-n", "--limit", type=int, default=20, help="how many hits (default 20)")
    search.add_argument("--json", action="store_true", help="print JSON for scripts")

    export = actions.add_parser("export", help="write a conversation as Markdown or lossless JSON")
    export.add_argument("id", metavar="ID", help=reference_help)
    export.add_argument("--format", choices=["md", "json"], default="md", help="md (to read) or json (to re-import)")
    export.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of stdout")

    importing = actions.add_parser("import", help="import a toki JSON export or ChatGPT's conversations.json")
    importing.add_argument("file", metavar="FILE", type=Path)

    rename = actions.add_parser("rename", help="give a conversation a new title")
    rename.add_argument("id", metavar="ID", help=reference_help)
    rename.add_argument("title", metavar="TITLE", nargs="+")

    delete = actions.add_parser("delete", help="delete a conversation and all its messages")
    delete.add_argument("id", metavar="ID", help=reference_help)
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
