"""The records the history store hands out, and their conversion from database rows.

Frozen dataclasses, so a record read from the store can be passed to a worker or a widget without anyone
changing it behind the store's back. JSON columns (params, usage, tool calls) are decoded here, once.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toki_tui.core.pricing import Price, price_from_record, read_cost
from toki_tui.core.store.values import (
    parse_json,
    read_float,
    read_int,
    read_optional_text,
    read_text,
    read_time,
    usage_ints,
)
from toki_tui.core.text import displayable

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
"""Roles a stored message may have (the Chat Completions roles)."""

STATUSES = ("complete", "streaming", "stopped", "length", "error", "interrupted")
"""Every status a message can have; see docs/architecture.md "Message lifecycle"."""

FINAL_STATUSES = frozenset({"complete", "stopped", "length", "error", "interrupted"})
"""Statuses `finish_reply` accepts: anything but "streaming"."""


@dataclass(frozen=True)
class Conversation:
    id: str
    """128 random bits in hex, 32 characters; the CLI shows the first 8."""
    title: str
    """From the first user message unless renamed; may be empty for a conversation with no user message yet."""
    created_at: float
    """Seconds since the epoch."""
    updated_at: float
    """When the last message was added or finished; the list is ordered by it."""
    endpoint: str
    model: str
    system_prompt: str | None
    params: dict[str, Any]
    """The sampling parameters in `ChatParams.to_record()` form."""
    current_leaf_id: int | None
    """The message the conversation continues from (the end of the branch shown)."""
    archived: bool
    pinned: bool
    message_count: int
    """Messages in the whole tree, every branch included."""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: str
    parent_id: int | None
    role: str
    content: str
    reasoning: str | None
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    name: str | None
    status: str
    """One of STATUSES."""
    created_at: float
    model: str | None
    """For a reply: the model that wrote it. The fields down to `error` describe how a reply was made."""
    endpoint: str | None
    params: dict[str, Any] | None
    usage: dict[str, Any] | None
    ttft: float | None
    """Seconds from the request to the first token."""
    duration: float | None
    """Seconds from the request to the end of the reply."""
    finish_reason: str | None
    error: str | None
    attachments: list[dict[str, Any]] | None = None
    """Files attached to a user message, as records (core/attachments.py reads them); None for none."""
    cost_estimate: float | None = None
    """For a reply: its cost (core/pricing.py): the charge the server reported when `cost_reported`, else an
    estimate from its usage and `price`; None when unknown."""
    price: Price | None = None
    """For a reply: the price in force when it ended, which an estimated cost used; None when none was known."""
    cost_reported: bool = False
    """For a reply: whether `cost_estimate` is a charge the server reported rather than an estimate."""


@dataclass(frozen=True)
class SearchHit:
    conversation_id: str
    message_id: int | None
    """None when the conversation's title matched rather than a message."""
    title: str
    snippet: str
    """The matching words in context, marked with SNIPPET_START / SNIPPET_END; one line."""
    rank: float
    """bm25 score: lower is a better match."""


@dataclass(frozen=True)
class OpenReport:
    path: Path
    created: bool
    """A new, empty history was made (the first run, or after moving a corrupt file aside)."""
    migrated_from: int | None
    """The schema version the file had before this open migrated it, if it did."""
    corrupt_moved_to: Path | None
    """Where an unreadable history file was moved; it is kept for the user to inspect or recover."""
    interrupted_count: int
    """Replies left "streaming" by a process that died, now marked "interrupted"."""
    notices: tuple[str, ...]
    """One readable line per event above worth telling the user about."""


COST_REPORTED = "reported"
COST_ESTIMATED = "estimate"
"""The values of a reply's `cost_source` (migrations.py, version 5); NULL when its cost is unknown, and in rows
written before version 5, whose costs were all estimates."""


def cost_source(cost: float | None, reported: bool) -> str | None:
    """The `cost_source` of a reply that cost `cost` (None: unknown, and so is its source)."""
    if cost is None:
        return None
    return COST_REPORTED if reported else COST_ESTIMATED


MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, reasoning, tool_calls, tool_call_id, name, status, "
    "created_at, model, endpoint, params, usage, ttft, duration, finish_reason, error, attachments, "
    "cost_estimate, price, cost_source"
)
CONVERSATION_COLUMNS = (
    "id, title, created_at, updated_at, endpoint, model, system_prompt, params, current_leaf_id, archived, "
    "pinned, message_count"
)


def dump_json(value: Any) -> str | None:
    """A JSON column's text; None stays NULL. Compact, and keys kept in the caller's order."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=256)
def _parse_flat(text: str) -> tuple[bool, Any]:
    value = json.loads(text)
    flat = isinstance(value, dict) and all(not isinstance(item, dict | list) for item in value.values())
    return flat, value


def _load_json(text: object) -> Any:
    """Decode a JSON column. Replies of a conversation mostly repeat the same params and similar usage, so
    flat objects are parsed once and copied (a 5,000-message branch loads twice as fast); anything nested is
    parsed afresh so no caller can change another's data. A column holding something that is not JSON text (an
    older or hand-edited row) reads as None rather than failing the whole read."""
    if text is None:
        return None
    if not isinstance(text, str):
        return None
    try:
        flat, value = _parse_flat(text)
    except (ValueError, RecursionError):
        return None
    return dict(value) if flat else parse_json(text)


def _dict_or(value: Any, default: dict[str, Any] | None) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else default


def _tool_calls(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)] or None


def _records(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)] or None


def conversation_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Conversation:
    """A Conversation from its row; any column holding a value of the wrong kind reads as a neutral value
    (store_values.py), so a damaged row is still listed and opened."""
    return Conversation(
        id=read_text(row[0]),
        title=read_text(row[1]),
        created_at=read_time(row[2]),
        updated_at=read_time(row[3]),
        endpoint=read_text(row[4]),
        model=read_text(row[5]),
        system_prompt=read_optional_text(row[6]),
        params=_dict_or(_load_json(row[7]), None) or {},
        current_leaf_id=read_int(row[8], None),
        archived=bool(read_int(row[9], 0)),
        pinned=bool(read_int(row[10], 0)),
        message_count=max(0, read_int(row[11], 0) or 0),
    )


def message_from_row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMessage:
    """A StoredMessage from its row, as tolerant of damaged columns as conversation_from_row."""
    return StoredMessage(
        id=row[0],
        conversation_id=read_text(row[1]),
        parent_id=read_int(row[2], None),
        role=read_text(row[3]),
        content=read_text(row[4]),
        reasoning=read_optional_text(row[5]),
        tool_calls=_tool_calls(_load_json(row[6])),
        tool_call_id=read_optional_text(row[7]),
        name=read_optional_text(row[8]),
        status=read_text(row[9]),
        created_at=read_time(row[10]),
        model=read_optional_text(row[11]),
        endpoint=read_optional_text(row[12]),
        params=_dict_or(_load_json(row[13]), None),
        usage=usage_ints(_load_json(row[14])),
        ttft=read_float(row[15]),
        duration=read_float(row[16]),
        finish_reason=read_optional_text(row[17]),
        error=read_optional_text(row[18]),
        attachments=_records(_load_json(row[19])),
        cost_estimate=read_cost(read_float(row[20])),
        price=price_from_record(_load_json(row[21])),
        cost_reported=row[22] == COST_REPORTED,
    )


def title_from_text(text: str, limit: int = 60) -> str:
    """A conversation title from a user message: its first non-blank line, cut at a word near `limit` chars,
    without control characters (a title is shown in lists and terminal titles)."""
    clean = displayable(text)
    line = next((candidate.strip() for candidate in clean.splitlines() if candidate.strip()), "")
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    cut = line[:limit]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"
