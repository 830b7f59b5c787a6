"""Reading a conversation's message tree: a branch, a page of it, siblings; and inserting a whole tree.

A branch is walked from its leaf up to the root with a recursive query over the primary key, stopping after
`limit` steps, so a page of the newest messages costs the same in a 5,000-message conversation as in a short
one. No depth column is needed, and nothing has to be renumbered when a branch is added.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toki_tui.core.errors import HistoryError
from toki_tui.core.pricing import Price, token_count
from toki_tui.core.store.connection import read_conversation, read_message
from toki_tui.core.store.records import (
    MESSAGE_COLUMNS,
    Conversation,
    StoredMessage,
    cost_source,
    dump_json,
    message_from_row,
)

_PREFIXED_COLUMNS = ", ".join(f"m.{column.strip()}" for column in MESSAGE_COLUMNS.split(","))

# A parent is always written before its children (imports too), so along a branch ids grow from root to leaf
# and the walk's result is ordered by id, without sorting on the step count.
_WALK_UP = f"""
WITH RECURSIVE chain(id, parent_id, step) AS (
    SELECT id, parent_id, 0 FROM messages WHERE id = ? AND conversation_id = ?
    UNION ALL
    SELECT m.id, m.parent_id, chain.step + 1 FROM messages AS m JOIN chain ON m.id = chain.parent_id
    WHERE chain.step + 1 < ?
)
SELECT {_PREFIXED_COLUMNS} FROM messages AS m WHERE m.id IN (SELECT id FROM chain) ORDER BY m.id
"""

_UNLIMITED = 1 << 62


@dataclass(frozen=True)
class ImportedMessage:
    """A message to insert with `HistoryStore.import_conversation`, as it was (times, status, how made)."""

    parent_index: int | None
    """The position of its parent in the list being imported (always earlier), or None for a root."""
    role: str
    content: str
    created_at: float
    status: str = "complete"
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    model: str | None = None
    endpoint: str | None = None
    params: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    ttft: float | None = None
    duration: float | None = None
    finish_reason: str | None = None
    error: str | None = None
    attachments: list[dict[str, Any]] | None = None
    cost_estimate: float | None = None
    price: Price | None = None
    cost_reported: bool = False
    """Whether `cost_estimate` is a charge the server reported rather than an estimate."""


def walk_up(
    db: sqlite3.Connection, conversation_id: str, start_id: int, limit: int
) -> tuple[list[StoredMessage], bool]:
    """Up to `limit` messages ending at `start_id`, oldest first, and whether older ones exist above them."""
    if limit <= 0:
        return [], True
    rows = db.execute(_WALK_UP, (start_id, conversation_id, limit)).fetchall()
    messages = [message_from_row(row) for row in rows]
    has_older = bool(messages) and messages[0].parent_id is not None
    return messages, has_older


def insert_tree(db: sqlite3.Connection, conversation: Conversation, messages: list[ImportedMessage]) -> None:
    """Insert a conversation and its messages in order (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, endpoint, model, system_prompt, params, "
        "archived, pinned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conversation.id,
            conversation.title,
            conversation.created_at,
            conversation.updated_at,
            conversation.endpoint,
            conversation.model,
            conversation.system_prompt,
            dump_json(conversation.params),
            int(conversation.archived),
            int(conversation.pinned),
        ),
    )
    ids: list[int] = []
    for index, message in enumerate(messages):
        parent_id = None
        if message.parent_index is not None:
            if not 0 <= message.parent_index < index:
                raise HistoryError(f"message {index + 1}'s parent must be an earlier message")
            parent_id = ids[message.parent_index]
        # A reply that was streaming when exported has no writer here any more.
        status = "interrupted" if message.status == "streaming" else message.status
        cursor = db.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, content, reasoning, tool_calls, "
            "tool_call_id, name, status, created_at, model, endpoint, params, usage, ttft, duration, "
            "finish_reason, error, attachments, cost_estimate, price, prompt_tokens, completion_tokens, cost_source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation.id,
                parent_id,
                message.role,
                message.content,
                message.reasoning,
                dump_json(message.tool_calls),
                message.tool_call_id,
                message.name,
                status,
                message.created_at,
                message.model,
                message.endpoint,
                dump_json(message.params),
                dump_json(message.usage),
                message.ttft,
                message.duration,
                message.finish_reason,
                message.error,
                dump_json(message.attachments),
                message.cost_estimate,
                dump_json(message.price.to_record() if message.price is not None else None),
                token_count(message.usage, "prompt_tokens"),
                token_count(message.usage, "completion_tokens"),
                cost_source(message.cost_estimate, message.cost_reported),
            ),
        )
        ids.append(int(cursor.lastrowid or 0))
    leaf_index = conversation.current_leaf_id
    if leaf_index is not None:
        if not 0 <= leaf_index < len(ids):
            raise HistoryError("the current message is not one of the conversation's messages")
        db.execute("UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (ids[leaf_index], conversation.id))


def _walk_current(
    db: sqlite3.Connection, path: Path, conversation_id: str, limit: int
) -> tuple[list[StoredMessage], bool]:
    """walk_up from the current leaf. A leaf that is missing or not in this conversation (a row damaged by hand or
    by another tool) shows the branch of the newest message instead of nothing or an error."""
    leaf = read_conversation(db, conversation_id, path).current_leaf_id
    if limit <= 0:
        return [], leaf is not None
    if leaf is not None:
        messages, has_older = walk_up(db, conversation_id, leaf, limit)
        if messages:
            return messages, has_older
    (newest,) = db.execute("SELECT max(id) FROM messages WHERE conversation_id = ?", (conversation_id,)).fetchone()
    if newest is None:
        return [], False
    return walk_up(db, conversation_id, int(newest), limit)


def branch(db: sqlite3.Connection, path: Path, conversation_id: str, leaf_id: int | None) -> list[StoredMessage]:
    """Root to `leaf_id` (by default the current leaf), oldest first: the messages sent as context."""
    if leaf_id is None:
        return _walk_current(db, path, conversation_id, _UNLIMITED)[0]
    messages, _ = walk_up(db, conversation_id, leaf_id, _UNLIMITED)
    if not messages:
        raise HistoryError(f"message {leaf_id} is not in conversation {conversation_id[:8]!r}")
    return messages


def latest_messages(
    db: sqlite3.Connection, path: Path, conversation_id: str, limit: int
) -> tuple[list[StoredMessage], bool]:
    """The newest `limit` messages of the current branch, oldest first, and whether older ones exist."""
    return _walk_current(db, path, conversation_id, limit)


def older_messages(
    db: sqlite3.Connection, path: Path, conversation_id: str, before_message_id: int, limit: int
) -> tuple[list[StoredMessage], bool]:
    """The `limit` messages of the branch just above `before_message_id` (for scrolling up)."""
    before = read_message(db, before_message_id, path)
    if before.conversation_id != conversation_id:
        raise HistoryError(f"message {before_message_id} is not in conversation {conversation_id[:8]!r}")
    if before.parent_id is None:
        return [], False
    return walk_up(db, conversation_id, before.parent_id, limit)


def conversation_messages(db: sqlite3.Connection, path: Path, conversation_id: str) -> list[StoredMessage]:
    """Every message of the conversation, every branch, in the order they were added (for export)."""
    read_conversation(db, conversation_id, path)
    rows = db.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    ).fetchall()
    return [message_from_row(row) for row in rows]


def siblings(db: sqlite3.Connection, path: Path, message_id: int) -> list[StoredMessage]:
    """The message and its alternatives (same parent), oldest first; e.g. the replies regenerated."""
    message = read_message(db, message_id, path)
    if message.parent_id is None:
        rows = db.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND parent_id IS NULL ORDER BY id",
            (message.conversation_id,),
        ).fetchall()
    else:
        rows = db.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE parent_id = ? ORDER BY id", (message.parent_id,)
        ).fetchall()
    return [message_from_row(row) for row in rows]


def deepest_leaf(db: sqlite3.Connection, message_id: int) -> int:
    """The leaf reached from `message_id` by always following the newest child: where to continue after switching
    to a sibling, so its whole branch is shown."""
    current = message_id
    while True:
        row = db.execute("SELECT id FROM messages WHERE parent_id = ? ORDER BY id DESC LIMIT 1", (current,)).fetchone()
        if row is None:
            return current
        current = int(row[0])


def sibling_positions(db: sqlite3.Connection, conversation_id: str) -> dict[int, tuple[int, int]]:
    """For every message of the conversation that has siblings (alternatives under the same parent: a regenerated
    reply, an edited question), its 1-based position among them and their number, oldest first. One query, for
    the whole tree: what `‹ 2/3 ›` markers need."""
    children: dict[int | None, list[int]] = {}
    for message_id, parent_id in db.execute(
        "SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    ):
        children.setdefault(parent_id, []).append(int(message_id))
    positions: dict[int, tuple[int, int]] = {}
    for group in children.values():
        if len(group) > 1:
            for index, message_id in enumerate(group, start=1):
                positions[message_id] = (index, len(group))
    return positions


def leaves(db: sqlite3.Connection, conversation_id: str) -> list[int]:
    """The ends of the conversation's branches, oldest first: branch N of `toki history show --branch N`."""
    rows = db.execute(
        "SELECT id FROM messages AS m WHERE conversation_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM messages AS c WHERE c.parent_id = m.id) ORDER BY id",
        (conversation_id,),
    ).fetchall()
    return [int(row[0]) for row in rows]


def position_in_branch(db: sqlite3.Connection, message_id: int) -> int:
    """How many messages lead to `message_id` from its root, itself included: its place in its branch (1-based)."""
    (count,) = db.execute(
        "WITH RECURSIVE up(id, parent_id) AS ("
        " SELECT id, parent_id FROM messages WHERE id = ?"
        " UNION ALL SELECT m.id, m.parent_id FROM messages AS m JOIN up ON m.id = up.parent_id"
        ") SELECT count(*) FROM up",
        (message_id,),
    ).fetchone()
    return int(count)
