"""`toki history`: list, show, search, export, import, rename and delete saved conversations.

Output is for people (aligned columns, local dates, 8-character ids) unless `--json` asks for scripts. Stored
text is untrusted: control characters are stripped before anything reaches the terminal, and JSON output
escapes them.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import Any, TextIO

from toki_tui.cli.history_arguments import add_history_parser
from toki_tui.core.errors import HistoryError, TokiError
from toki_tui.core.reply_facts import reply_measures
from toki_tui.core.store.export import dumps_json, export_json, export_markdown, import_file
from toki_tui.core.store.history_store import Conversation, HistoryStore, SearchHit, StoredMessage
from toki_tui.core.text import displayable
from toki_tui.core.text_input import without_surrogates

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SHORT_ID = 8


def run_history(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    action = getattr(args, "history_action", None) or "list"
    handler = _HANDLERS[action]
    try:
        return handler(args, store, out, err)
    except TokiError as error:
        _error(err, str(error))
        return EXIT_FAILED


# ---- output helpers -----------------------------------------------------------------------------------------


def _error(err: TextIO, message: str) -> None:
    err.write(f"toki: {displayable(message)}\n")
    err.flush()


def _safe(text: str | None) -> str:
    return displayable(text or "")


def _one_line(text: str | None) -> str:
    return " ".join(_safe(text).split())


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _conversation_record(conversation: Conversation) -> dict[str, Any]:
    return dataclasses.asdict(conversation)


def _message_record(message: StoredMessage) -> dict[str, Any]:
    return dataclasses.asdict(message)


def _write_json(out: TextIO, value: Any) -> None:
    out.write(dumps_json(value) + "\n")


def _option(args: argparse.Namespace, name: str, default: Any) -> Any:
    return getattr(args, name, default)


# ---- actions ------------------------------------------------------------------------------------------------


def _list(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    limit = max(1, _option(args, "limit", 30))
    conversations = store.list_conversations(limit=limit, include_archived=_option(args, "all", False))
    if _option(args, "json", False):
        _write_json(out, [_conversation_record(conversation) for conversation in conversations])
        return EXIT_OK
    if not conversations:
        out.write("No saved conversations yet. Start one with `toki` or `toki ask`.\n")
        return EXIT_OK
    model_width = min(28, max(5, *(len(_one_line(c.model)) for c in conversations)))
    out.write(f"{'ID':<{SHORT_ID}}  {'UPDATED':<16}  {'MSGS':>5}  {'MODEL':<{model_width}}  TITLE\n")
    for conversation in conversations:
        model = _one_line(conversation.model)
        if len(model) > model_width:
            model = "…" + model[-(model_width - 1) :]
        marks = ("* " if conversation.pinned else "") + ("[archived] " if conversation.archived else "")
        title = marks + (_one_line(conversation.title) or "(untitled)")
        out.write(
            f"{conversation.id[:SHORT_ID]}  {_when(conversation.updated_at)}  {conversation.message_count:>5}  "
            f"{model:<{model_width}}  {title}\n"
        )
    return EXIT_OK


def _describe_reply(message: StoredMessage) -> str:
    parts = [_one_line(message.model), *reply_measures(message)]
    return " · ".join(part for part in parts if part)


@dataclasses.dataclass
class Branch:
    number: int
    count: int
    current: bool
    messages: list[StoredMessage] | None
    """Read when printed (None until then), except the current branch, read to find its number."""
    end: int | None


def _branch_choice(args: argparse.Namespace, store: HistoryStore, conversation: Conversation) -> list[Branch]:
    """The branches to print: the current one, `--branch N`, or `--all` (numbered by their ends, oldest first)."""
    ends = store.leaves(conversation.id)
    current = store.branch(conversation.id)
    current_end = store.deepest_leaf(current[-1].id) if current else None
    current_number = ends.index(current_end) + 1 if current_end in ends else 1
    wanted = _option(args, "branch", None)
    if _option(args, "all", False) and len(ends) > 1:
        return [
            Branch(number, len(ends), number == current_number, current if number == current_number else None, end)
            for number, end in enumerate(ends, start=1)
        ]
    if wanted is not None and wanted != current_number:
        if not 1 <= wanted <= len(ends):
            count = f"{len(ends)} branch" + ("" if len(ends) == 1 else "es")
            raise HistoryError(
                f"conversation {conversation.id[:SHORT_ID]} has {count}; choose --branch 1 to {len(ends)}"
            )
        return [Branch(wanted, len(ends), False, None, ends[wanted - 1])]
    return [Branch(current_number, max(1, len(ends)), True, current, current_end)]


def _show(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    conversation = store.get_conversation(store.resolve_conversation_ref(args.id))
    branches = _branch_choice(args, store, conversation)
    for branch in branches:
        if branch.messages is None:
            branch.messages = store.branch(conversation.id, branch.end)
    siblings = store.sibling_positions(conversation.id)
    if _option(args, "json", False):
        _write_json(out, _show_record(conversation, branches, siblings, every=_option(args, "all", False)))
        return EXIT_OK
    out.write(f"{_one_line(conversation.title) or '(untitled)'}\n")
    facts = [conversation.id, _one_line(conversation.model), f"started {_when(conversation.created_at)}"]
    facts.append(f"{conversation.message_count} messages")
    if len(branches) == 1 and branches[0].count > 1:
        facts.append(f"branch {branches[0].number} of {branches[0].count} (--branch N or --all for the others)")
    out.write(" · ".join(fact for fact in facts if fact) + "\n")
    if conversation.system_prompt:
        out.write(f"\nSystem prompt: {_safe(conversation.system_prompt).strip()}\n")
    for branch in branches:
        if len(branches) > 1:
            mark = " (current)" if branch.current else ""
            out.write(f"\n═══ branch {branch.number} of {branch.count}{mark} ═══\n")
        for message in branch.messages or []:
            _print_message(message, siblings.get(message.id), out)
    return EXIT_OK


def _print_message(message: StoredMessage, sibling: tuple[int, int] | None, out: TextIO) -> None:
    heading = [message.role, _when(message.created_at)]
    if message.role == "assistant":
        heading.append(_describe_reply(message))
    if message.role == "tool" and message.tool_call_id:  # which of the calls above it answers, as the export says
        heading.append(f"result of {_one_line(message.tool_call_id)}")
    if message.status != "complete":
        heading.append(f"[{message.status}]")
    if sibling is not None:
        heading.append(f"‹ {sibling[0]}/{sibling[1]} ›")
    out.write("\n── " + " · ".join(part for part in heading if part) + " ──\n")
    if message.reasoning:
        out.write(f"(reasoning) {_safe(message.reasoning).strip()}\n\n")
    if message.content:
        out.write(_safe(message.content).rstrip() + "\n")
    if message.tool_calls:
        out.write(_safe(dumps_json(message.tool_calls, indent=None)) + "\n")
    if message.error:
        out.write(f"error: {_one_line(message.error)}\n")


def _show_record(
    conversation: Conversation, branches: list[Branch], siblings: dict[int, tuple[int, int]], *, every: bool
) -> dict[str, Any]:
    def messages(branch: Branch) -> list[dict[str, Any]]:
        records = []
        for message in branch.messages or []:
            record = _message_record(message)
            position = siblings.get(message.id)
            record["siblings"] = None if position is None else {"position": position[0], "count": position[1]}
            records.append(record)
        return records

    record: dict[str, Any] = {"conversation": _conversation_record(conversation)}
    if every:
        record["branches"] = [
            {"number": branch.number, "current": branch.current, "messages": messages(branch)} for branch in branches
        ]
    else:
        record["branch"] = {"number": branches[0].number, "count": branches[0].count}
        record["messages"] = messages(branches[0])
    return record


def _hit_record(hit: SearchHit, store: HistoryStore) -> dict[str, Any]:
    record = dataclasses.asdict(hit)
    record["position"] = None if hit.message_id is None else store.position_in_branch(hit.message_id)
    return record


def _search(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    query = without_surrogates(" ".join(args.query))  # argv's non-UTF-8 bytes arrive as surrogates
    hits = store.search(query, limit=max(1, _option(args, "limit", 20)))
    if _option(args, "json", False):
        _write_json(out, [_hit_record(hit, store) for hit in hits])
        return EXIT_OK
    if not hits:
        out.write(f"Nothing matches {_one_line(query)!r}.\n")
        return EXIT_OK
    for hit in hits:
        # Where in the conversation, as a reader counts: the message's place in its branch, not a row id.
        where = "title" if hit.message_id is None else f"message {store.position_in_branch(hit.message_id)}"
        out.write(f"{hit.conversation_id[:SHORT_ID]}  {_one_line(hit.title) or '(untitled)'}  ({where})\n")
        out.write(f"          {_one_line(hit.snippet)}\n")
    return EXIT_OK


def _export(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    conversation_id = store.resolve_conversation_ref(args.id)
    text = export_json(store, conversation_id) if args.format == "json" else export_markdown(store, conversation_id)
    if args.output is None:
        out.write(text)
        return EXIT_OK
    from toki_tui.core.store.export_file import write_export  # atomic, as the app's /export

    write_export(args.output, text, overwrite=True)  # -o names the file: replacing it is what was asked
    err.write(f"Wrote {args.output}\n")
    return EXIT_OK


def _import(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    result = import_file(store, args.file)
    source = "ChatGPT" if result.source == "chatgpt" else "toki"
    count = len(result.imported)
    out.write(f"Imported {count} conversation{'' if count == 1 else 's'} from a {source} export.\n")
    for conversation in result.imported:
        out.write(f"  {conversation.id[:SHORT_ID]}  {_one_line(conversation.title) or '(untitled)'}\n")
    if result.skipped:
        out.write(f"Skipped {len(result.skipped)} already in the history:\n")
        for conversation in result.skipped:
            out.write(f"  {conversation.id[:SHORT_ID]}  {_one_line(conversation.title) or '(untitled)'}\n")
    return EXIT_OK


def _rename(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    conversation_id = store.resolve_conversation_ref(args.id)
    title = without_surrogates(" ".join(" ".join(args.title).split()))
    if not title:
        _error(err, "the new title is empty")
        return EXIT_USAGE
    store.rename_conversation(conversation_id, title)
    out.write(f"Renamed {conversation_id[:SHORT_ID]} to {_one_line(title)!r}.\n")
    return EXIT_OK


def _confirm(question: str, err: TextIO) -> bool:
    err.write(question)
    err.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in {"y", "yes"}


def _delete(args: argparse.Namespace, store: HistoryStore, out: TextIO, err: TextIO) -> int:
    conversation = store.get_conversation(store.resolve_conversation_ref(args.id))
    label = f"{conversation.id[:SHORT_ID]} {_one_line(conversation.title) or '(untitled)'!r}"
    if not args.yes:
        if not sys.stdin.isatty():
            _error(err, f"not deleting {label} without --yes (input is not a terminal to ask on)")
            return EXIT_USAGE
        count = conversation.message_count
        if not _confirm(f"Delete {label} and its {count} message{'' if count == 1 else 's'}? [y/N] ", err):
            err.write("Nothing deleted.\n")
            return EXIT_FAILED
    store.delete_conversation(conversation.id)
    out.write(f"Deleted {label}.\n")
    return EXIT_OK


_HANDLERS = {
    "list": _list,
    "show": _show,
    "search": _search,
    "export": _export,
    "import": _import,
    "rename": _rename,
    "delete": _delete,
}


__all__ = ["add_history_parser", "run_history"]
