"""The rows of messages as they are written: a message added under a parent, and a reply's life (started at its
first byte, checkpointed, finished), each inside the caller's write transaction. HistoryStore's methods of the
same names are the API; this is what they run (docs/architecture.md "Message lifecycle").
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from toki_tui.core.errors import HistoryError
from toki_tui.core.pricing import Price, token_count
from toki_tui.core.store.connection import read_conversation, read_message
from toki_tui.core.store.records import (
    FINAL_STATUSES,
    Conversation,
    StoredMessage,
    cost_source,
    dump_json,
    title_from_text,
)


class ReplyOutcome(TypedDict):
    """How a reply ended, as `finish_reply` takes it (keyword arguments)."""

    content: str
    status: str
    """"complete", "stopped", "length", "error" (or "interrupted")."""
    reasoning: NotRequired[str | None]
    tool_calls: NotRequired[list[dict[str, Any]] | None]
    finish_reason: NotRequired[str | None]
    usage: NotRequired[dict[str, Any] | None]
    ttft: NotRequired[float | None]
    duration: NotRequired[float | None]
    error: NotRequired[str | None]
    cost_estimate: NotRequired[float | None]
    """The reply's cost (core/pricing.cost_of); None when unknown."""
    cost_reported: NotRequired[bool]
    """Whether the cost is a charge the server reported (else an estimate; False when not given)."""
    price: NotRequired[Price | None]
    """The price in force when the reply ended; None when none was known."""


def insert_message(
    db: sqlite3.Connection, path: Path, conversation: Conversation, parent_id: int | None, fields: dict[str, Any]
) -> StoredMessage:
    """Insert a message of `conversation` under `parent_id` and make it the current leaf; the first user message
    of an untitled conversation gives it its title."""
    if parent_id is not None:
        row = db.execute("SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)).fetchone()
        if row is None or row[0] != conversation.id:
            raise HistoryError(f"message {parent_id} is not in conversation {conversation.id[:8]!r}")
    record: dict[str, Any] = {"conversation_id": conversation.id, "parent_id": parent_id, **fields}
    names = ", ".join(record)
    marks = ", ".join("?" for _ in record)
    cursor = db.execute(f"INSERT INTO messages ({names}) VALUES ({marks})", tuple(record.values()))
    message_id = cursor.lastrowid
    title_update = ""
    title_values: tuple[str, ...] = ()
    if not conversation.title and record["role"] == "user":
        title_update = ", title = CASE WHEN title = '' THEN ? ELSE title END"
        title_values = (title_from_text(record["content"]),)
    db.execute(
        f"UPDATE conversations SET current_leaf_id = ?, updated_at = ?{title_update} WHERE id = ?",
        (message_id, record["created_at"], *title_values, conversation.id),
    )
    return read_message(db, int(message_id or 0), path)


def start(
    db: sqlite3.Connection,
    path: Path,
    conversation_id: str,
    *,
    parent_id: int | None,
    model: str,
    endpoint: str,
    params: dict[str, Any],
) -> StoredMessage:
    now = time.time()
    conversation = read_conversation(db, conversation_id, path)
    fields = {
        "role": "assistant",
        "content": "",
        "status": "streaming",
        "created_at": now,
        "model": model,
        "endpoint": endpoint,
        "params": dump_json(params),
        "writer_pid": os.getpid(),
        "touched_at": now,
    }
    return insert_message(db, path, conversation, parent_id, fields)


def reopen(db: sqlite3.Connection, path: Path, message_id: int) -> StoredMessage:
    message = read_message(db, message_id, path)
    if message.role != "assistant":
        raise HistoryError(f"message {message_id} is not a reply, so it cannot be continued")
    db.execute(
        "UPDATE messages SET status = 'streaming', writer_pid = ?, touched_at = ? WHERE id = ?",
        (os.getpid(), time.time(), message_id),
    )
    return read_message(db, message_id, path)


def checkpoint(
    db: sqlite3.Connection,
    path: Path,
    message_id: int,
    *,
    content: str,
    reasoning: str | None,
    tool_calls: list[dict[str, Any]] | None,
) -> None:
    cursor = db.execute(
        "UPDATE messages SET content = ?, reasoning = ?, tool_calls = ?, touched_at = ?, "
        "status = 'streaming' WHERE id = ? AND status IN ('streaming', 'interrupted')",
        (content, reasoning, dump_json(tool_calls), time.time(), message_id),
    )
    if cursor.rowcount == 0:
        read_message(db, message_id, path)  # raises if it does not exist


def check_outcome(outcome: ReplyOutcome) -> None:
    """Raise before any write when the outcome's status is not a final one."""
    if outcome["status"] not in FINAL_STATUSES:
        raise HistoryError(
            f"{outcome['status']!r} is not a final reply status (one of {', '.join(sorted(FINAL_STATUSES))})"
        )


def finish(db: sqlite3.Connection, path: Path, message_id: int, outcome: ReplyOutcome) -> StoredMessage:
    now = time.time()
    usage = outcome.get("usage")
    price = outcome.get("price")
    cursor = db.execute(
        "UPDATE messages SET content = ?, status = ?, reasoning = ?, tool_calls = ?, finish_reason = ?, "
        "usage = ?, ttft = ?, duration = ?, error = ?, writer_pid = NULL, touched_at = ?, cost_estimate = ?, "
        "price = ?, prompt_tokens = ?, completion_tokens = ?, cost_source = ? WHERE id = ?",
        (
            outcome["content"],
            outcome["status"],
            outcome.get("reasoning"),
            dump_json(outcome.get("tool_calls")),
            outcome.get("finish_reason"),
            dump_json(usage),
            outcome.get("ttft"),
            outcome.get("duration"),
            outcome.get("error"),
            now,
            outcome.get("cost_estimate"),
            dump_json(price.to_record() if price is not None else None),
            token_count(usage, "prompt_tokens"),
            token_count(usage, "completion_tokens"),
            cost_source(outcome.get("cost_estimate"), outcome.get("cost_reported", False)),
            message_id,
        ),
    )
    if cursor.rowcount == 0:
        raise HistoryError(f"there is no message {message_id} in the history {path}")
    message = read_message(db, message_id, path)
    db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, message.conversation_id))
    return message


def mark_unsaved(db: sqlite3.Connection, message_id: int, reason: str) -> None:
    db.execute(
        "UPDATE messages SET status = 'interrupted', error = ?, writer_pid = NULL WHERE id = ?",
        (f"{reason}; only the text saved before that was kept", message_id),
    )
