"""Export a conversation as Markdown (to read) or JSON (to keep), and import JSON back: toki's own export or
ChatGPT's `conversations.json`.

The JSON export is lossless: every message of every branch, with how each reply was made. Message ids in the
document are its own (1, 2, 3 ... in the order the messages were written), not the database's, so exporting,
importing into any history and exporting again gives the same document. The API key has no field anywhere.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toki_tui.core.attachments import attachment_from_record, attachments_from_records, describe_size
from toki_tui.core.errors import HistoryError
from toki_tui.core.pricing import Price, price_from_record, read_cost
from toki_tui.core.reply_facts import reply_measures
from toki_tui.core.store.chatgpt_import import chatgpt_conversations, is_chatgpt_conversation
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.core.store.records import ROLES, STATUSES, Conversation, StoredMessage
from toki_tui.core.store.tree import ImportedMessage
from toki_tui.core.store.values import MAX_JSON_DEPTH, is_sane_time, json_depth_exceeds
from toki_tui.core.text import displayable, displayable_line, terminal_json
from toki_tui.core.text_input import without_surrogates

EXPORT_FORMAT = "toki.conversation"
EXPORT_VERSION = 1

MAX_IMPORT_DEPTH = 64
"""Nesting allowed in an import file: a toki export nests about 8 deep (params inside a message inside the list),
ChatGPT's about 10; a file nested 100,000 deep is an attack on the parser, refused with one line."""

_MESSAGE_FIELDS = (
    "role",
    "content",
    "reasoning",
    "tool_calls",
    "tool_call_id",
    "name",
    "status",
    "created_at",
    "model",
    "endpoint",
    "params",
    "usage",
    "ttft",
    "duration",
    "finish_reason",
    "error",
    "attachments",
    "cost_estimate",
    "cost_reported",
)


@dataclass
class ImportResult:
    source: str
    """"toki" or "chatgpt"."""
    imported: list[Conversation] = field(default_factory=list)
    skipped: list[Conversation] = field(default_factory=list)
    """Conversations already in the history (same id): importing the same file twice adds nothing."""


# ---- JSON ---------------------------------------------------------------------------------------------------


def dumps_json(value: Any, *, indent: int | None = 2) -> str:
    """JSON that is safe to print to a terminal and lossless (core.text.terminal_json)."""
    return terminal_json(value, indent=indent)


def export_document(store: HistoryStore, conversation_id: str) -> dict[str, Any]:
    """The lossless JSON document of one conversation (every branch)."""
    conversation = store.get_conversation(conversation_id)
    messages = store.conversation_messages(conversation_id)
    local_id = {message.id: number for number, message in enumerate(messages, start=1)}
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "id": conversation.id,
        "title": conversation.title,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "endpoint": conversation.endpoint,
        "model": conversation.model,
        "system_prompt": conversation.system_prompt,
        "params": conversation.params,
        "archived": conversation.archived,
        "pinned": conversation.pinned,
        "current_message": local_id.get(conversation.current_leaf_id) if conversation.current_leaf_id else None,
        "messages": [
            {
                "id": local_id[message.id],
                "parent": local_id[message.parent_id] if message.parent_id is not None else None,
                **{name: getattr(message, name) for name in _MESSAGE_FIELDS},
                "price": message.price.to_record() if message.price is not None else None,
            }
            for message in messages
        ],
    }


def export_json(store: HistoryStore, conversation_id: str) -> str:
    return dumps_json(export_document(store, conversation_id)) + "\n"


def _expect(value: Any, kinds: type | tuple[type, ...], where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    # bool is an int in Python; a JSON true is never a valid time or count.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise HistoryError(f"{where} has the wrong type ({type(value).__name__})")
    return value


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


_NUMBER = (int, float)


def _time(value: Any, where: str) -> float:
    """A time as seconds since the epoch, refused unless finite and within 1970..9999 (store_values.py)."""
    _expect(value, _NUMBER, where)
    if not is_sane_time(value):
        raise HistoryError(f"{where} is not a time between the years 1970 and 9999 ({value!r})")
    return float(value)


def _seconds(value: Any, where: str) -> float | None:
    """A duration: finite and not negative, or absent."""
    if _expect(value, _NUMBER, where, optional=True) is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise HistoryError(f"{where} is not a number of seconds ({value!r})")
    return float(value)


def _usage(value: Any, where: str) -> dict[str, Any] | None:
    if _expect(value, dict, where, optional=True) is None:
        return None
    for name, count in value.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise HistoryError(f"{where}.{name} is not a token count ({count!r})")
    return dict(value)


def _cost(value: Any, where: str) -> float | None:
    if _expect(value, (int, float), where, optional=True) is None:
        return None
    if read_cost(value) is None:
        raise HistoryError(f"{where} is not a cost of 0 or more ({value!r})")
    return float(value)


def _price(value: Any, where: str) -> Price | None:
    if value is None:
        return None
    price = price_from_record(value)
    if price is None:
        raise HistoryError(
            f'{where} is not a price (input_per_million, output_per_million, source "server" or "config")'
        )
    return price


def _json_value(value: Any, kinds: type, where: str) -> Any:
    """params or tool calls: of the right type and no deeper than MAX_JSON_DEPTH."""
    if _expect(value, kinds, where, optional=True) is None:
        return None
    if json_depth_exceeds(value):
        raise HistoryError(f"{where} nests more than {MAX_JSON_DEPTH} levels deep")
    if kinds is list and not all(isinstance(item, dict) for item in value):
        raise HistoryError(f"{where} must be a list of objects")
    return value


def _attachments(value: Any, where: str) -> list[dict[str, Any]] | None:
    """Attached files: each one whole (name, kind, size, media type, data), as toki exports them."""
    if _expect(value, list, where, optional=True) is None:
        return None
    for number, record in enumerate(value, start=1):
        if attachment_from_record(record) is None:
            raise HistoryError(f"{where}[{number}] is not an attachment (name, kind, size, media_type and data)")
    return list(value) or None


def _flag(value: Any, where: str) -> bool:
    return bool(_expect(value, bool, where))


def _imported_message(item: Any, where: str, index_of: dict[int, int]) -> ImportedMessage:
    _expect(item, dict, where)
    role = _expect(item.get("role"), str, f"{where}.role")
    status = _expect(item.get("status", "complete"), str, f"{where}.status")
    if role not in ROLES:
        raise HistoryError(f"{where}.role {role!r} is not one of {', '.join(sorted(ROLES))}")
    if status not in STATUSES:
        raise HistoryError(f"{where}.status {status!r} is not one of {', '.join(STATUSES)}")
    parent = _expect(item.get("parent"), int, f"{where}.parent", optional=True)
    if parent is not None and parent not in index_of:
        raise HistoryError(f"{where}.parent {parent} is not an earlier message")
    return ImportedMessage(
        parent_index=index_of[parent] if parent is not None else None,
        role=role,
        content=_expect(item.get("content", ""), str, f"{where}.content"),
        created_at=_time(item.get("created_at", 0.0), f"{where}.created_at"),
        status=status,
        reasoning=_expect(item.get("reasoning"), str, f"{where}.reasoning", optional=True),
        tool_calls=_json_value(item.get("tool_calls"), list, f"{where}.tool_calls"),
        tool_call_id=_expect(item.get("tool_call_id"), str, f"{where}.tool_call_id", optional=True),
        name=_expect(item.get("name"), str, f"{where}.name", optional=True),
        model=_expect(item.get("model"), str, f"{where}.model", optional=True),
        endpoint=_expect(item.get("endpoint"), str, f"{where}.endpoint", optional=True),
        params=_json_value(item.get("params"), dict, f"{where}.params"),
        usage=_usage(item.get("usage"), f"{where}.usage"),
        ttft=_seconds(item.get("ttft"), f"{where}.ttft"),
        duration=_seconds(item.get("duration"), f"{where}.duration"),
        finish_reason=_expect(item.get("finish_reason"), str, f"{where}.finish_reason", optional=True),
        error=_expect(item.get("error"), str, f"{where}.error", optional=True),
        attachments=_attachments(item.get("attachments"), f"{where}.attachments"),
        cost_estimate=_cost(item.get("cost_estimate"), f"{where}.cost_estimate"),
        price=_price(item.get("price"), f"{where}.price"),
        cost_reported=_flag(item.get("cost_reported", False), f"{where}.cost_reported"),
    )


def _from_document(document: dict[str, Any], where: str) -> tuple[Conversation, list[ImportedMessage]]:
    version = document.get("version")
    if not isinstance(version, int) or version > EXPORT_VERSION:
        raise HistoryError(f"{where} is a toki export of version {version!r}; this toki reads up to {EXPORT_VERSION}")
    conversation_id = _expect(document.get("id"), str, f"{where}.id")
    if not re.fullmatch(r"[0-9a-f]{32}", conversation_id):
        raise HistoryError(f"{where}.id {conversation_id!r} is not a toki conversation id")
    index_of: dict[int, int] = {}
    messages: list[ImportedMessage] = []
    for position, item in enumerate(_expect(document.get("messages", []), list, f"{where}.messages")):
        message_where = f"{where}.messages[{position}]"
        messages.append(_imported_message(item, message_where, index_of))
        local = _expect(item.get("id"), int, f"{message_where}.id")
        if local in index_of:
            raise HistoryError(f"{message_where}.id {local} appears twice")
        index_of[local] = position
    current = _expect(document.get("current_message"), int, f"{where}.current_message", optional=True)
    if current is not None and current not in index_of:
        raise HistoryError(f"{where}.current_message {current} is not one of its messages")
    now = time.time()
    conversation = Conversation(
        id=conversation_id,
        title=_expect(document.get("title", ""), str, f"{where}.title"),
        created_at=_time(document.get("created_at", now), f"{where}.created_at"),
        updated_at=_time(document.get("updated_at", now), f"{where}.updated_at"),
        endpoint=_expect(document.get("endpoint", ""), str, f"{where}.endpoint"),
        model=_expect(document.get("model", ""), str, f"{where}.model"),
        system_prompt=_expect(document.get("system_prompt"), str, f"{where}.system_prompt", optional=True),
        params=_json_value(document.get("params", {}), dict, f"{where}.params"),
        current_leaf_id=index_of[current] if current is not None else None,
        archived=_flag(document.get("archived", False), f"{where}.archived"),
        pinned=_flag(document.get("pinned", False), f"{where}.pinned"),
        message_count=len(messages),
    )
    return conversation, messages


def import_data(store: HistoryStore, data: Any, source_name: str = "the file") -> ImportResult:
    """Import parsed JSON: a toki export, a list of them, or ChatGPT's conversations.json (or one of its items)."""
    items = data if isinstance(data, list) else [data]
    if items and all(isinstance(item, dict) and is_chatgpt_conversation(item) for item in items):
        result = ImportResult("chatgpt")
        parsed = chatgpt_conversations(items, source_name)
    elif all(isinstance(item, dict) and item.get("format") == EXPORT_FORMAT for item in items):
        result = ImportResult("toki")
        where = [source_name if len(items) == 1 else f"{source_name}[{number}]" for number in range(len(items))]
        parsed = [_from_document(item, label) for item, label in zip(items, where, strict=True)]
    else:
        raise HistoryError(
            f"{source_name} is neither a toki export (`toki history export ID --format json`) "
            "nor ChatGPT's conversations.json"
        )
    imported, skipped = store.import_conversations(parsed)
    result.imported.extend(imported)
    result.skipped.extend(skipped)
    return result


def _refuse_constant(name: str) -> Any:
    raise HistoryError(f"holds {name}, which is not a JSON number")


def _clean_strings(value: Any) -> Any:
    """Every string with lone surrogates (JSON's "\\ud800") repaired (text_input.py); depth already bounded."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, list):
        return [_clean_strings(item) for item in value]
    if isinstance(value, dict):
        return {without_surrogates(key): _clean_strings(item) for key, item in value.items()}
    return value


def import_file(store: HistoryStore, path: Path) -> ImportResult:
    """Import one file, all or nothing: any error names the file, the record and the field, and then nothing
    from the file is stored."""
    name = without_surrogates(str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise HistoryError(f"cannot read {name}: {without_surrogates(str(error))}") from error
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise HistoryError(f"{name} is not JSON ({error.msg} at line {error.lineno})") from error
    except RecursionError:
        data = None
    except HistoryError as error:
        raise HistoryError(f"{name} {error}; nothing was imported") from None
    if data is None or json_depth_exceeds(data, MAX_IMPORT_DEPTH):
        raise HistoryError(f"{name} nests JSON more than {MAX_IMPORT_DEPTH} levels deep; nothing was imported")
    try:
        return import_data(store, _clean_strings(data), name)
    except HistoryError as error:
        raise HistoryError(f"{error}; nothing from {name} was imported") from None


# ---- Markdown -----------------------------------------------------------------------------------------------


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _fence(text: str) -> str:
    """A code fence longer than any backtick run inside `text`, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _line(text: str) -> str:
    """A stored value that holds one line (a title, a model id, a file name, an error) on one line: a line break
    in it would otherwise start a heading of its own in the document."""
    return displayable_line(text, limit=2000)


def _reply_details(message: StoredMessage) -> str:
    parts = [_line(message.model or ""), *reply_measures(message)]
    if message.status != "complete":
        parts.append(message.status)
    return " · ".join(part for part in parts if part)


def _message_markdown(message: StoredMessage) -> list[str]:
    heading = message.role.capitalize()
    details = _reply_details(message) if message.role == "assistant" else ""
    if message.role == "tool" and message.tool_call_id:
        details = f"result of {displayable_line(message.tool_call_id)}"  # which call of the reply above it answers
    lines = [f"## {heading}" + (f" · {details}" if details else ""), "", f"*{_when(message.created_at)}*", ""]
    if message.reasoning:
        lines += ["<details><summary>Reasoning</summary>", "", message.reasoning.strip(), "", "</details>", ""]
    if message.content:
        lines += [message.content.rstrip(), ""]
    for attachment in attachments_from_records(message.attachments):
        lines += [f"Attached: {_line(attachment.name)} ({attachment.kind}, {describe_size(attachment.size)})", ""]
    if message.tool_calls:
        calls = json.dumps(message.tool_calls, ensure_ascii=False, indent=2)
        fence = _fence(calls)
        lines += ["Tool calls:", "", f"{fence}json", calls, fence, ""]
    if message.error:
        lines += [f"> **Error:** {_line(message.error)}", ""]
    return lines


def export_markdown(store: HistoryStore, conversation_id: str, leaf_id: int | None = None) -> str:
    """The branch ending at `leaf_id` (by default the conversation's current branch) as a readable Markdown
    document (control characters removed)."""
    conversation = store.get_conversation(conversation_id)
    lines = [f"# {_line(conversation.title) or 'Untitled conversation'}", ""]
    lines.append(f"- Conversation: `{conversation.id}`")
    lines.append(f"- Started: {_when(conversation.created_at)}; last active: {_when(conversation.updated_at)}")
    if conversation.model or conversation.endpoint:
        lines.append(f"- Model: {_line(conversation.model) or '?'} (endpoint: {_line(conversation.endpoint) or '?'})")
    if conversation.params:
        settings = ", ".join(f"{name} {json.dumps(value)}" for name, value in conversation.params.items())
        lines.append(f"- Parameters: {settings}")
    lines.append("")
    if conversation.system_prompt:
        lines += ["## System prompt", "", conversation.system_prompt.rstrip(), ""]
    for message in store.branch(conversation_id, leaf_id):
        lines += _message_markdown(message)
    return displayable("\n".join(lines).rstrip() + "\n")
