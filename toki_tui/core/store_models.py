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

from toki_tui.core.text import displayable

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
"""Roles a stored message may have (the Chat Completions roles)."""

STATUSES = ("complete", "streaming", "stopped", "length", "error", "interrupted")
"""Every status a message can have; see design.md "Message lifecycle"."""

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


MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, reasoning, tool_calls, tool_call_id, name, status, "
    "created_at, model, endpoint, params, usage, ttft, duration, finish_reason, error"
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


def _load_json(text: str | None) -> Any:
    """Decode a JSON column. Replies of a conversation mostly repeat the same params and similar usage, so
    flat objects are parsed once and copied (a 5,000-message branch loads twice as fast); anything nested is
    parsed afresh so no caller can change another's data."""
    if text is None:
        return None
    flat, value = _parse_flat(text)
    return dict(value) if flat else json.loads(text)


def conversation_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Conversation:
    params = _load_json(row[7])
    return Conversation(
        id=row[0],
        title=row[1],
        created_at=row[2],
        updated_at=row[3],
        endpoint=row[4],
        model=row[5],
        system_prompt=row[6],
        params=params if isinstance(params, dict) else {},
        current_leaf_id=row[8],
        archived=bool(row[9]),
        pinned=bool(row[10]),
        message_count=row[11],
    )


def message_from_row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMessage:
    return StoredMessage(
        id=row[0],
        conversation_id=row[1],
        parent_id=row[2],
        role=row[3],
        content=row[4],
        reasoning=row[5],
        tool_calls=_load_json(row[6]),
        tool_call_id=row[7],
        name=row[8],
        status=row[9],
        created_at=row[10],
        model=row[11],
        endpoint=row[12],
        params=_load_json(row[13]),
        usage=_load_json(row[14]),
        ttft=row[15],
        duration=row[16],
        finish_reason=row[17],
        error=row[18],
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
