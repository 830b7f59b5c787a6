"""HistoryStore: every conversation and message toki has seen, in one SQLite file, safe against crashes and
against several toki processes at once.

- Writes run in `BEGIN IMMEDIATE` transactions that wait for another process's write (connection.py).
- WAL mode: readers never wait for the writer, and a committed write survives `kill -9`.
- Messages form a tree (`parent_id`): regenerating or editing adds a sibling; the conversation's
  `current_leaf_id` says which branch is shown. Branches are walked leaf-upwards over the primary key, so the
  newest 100 messages of a 5,000-message conversation cost 100 lookups.

The schema and the opening rules are in schema.py, the connection in connection.py, branch reading in tree.py,
search in search.py, the records in records.py (all in this package). The store holds its connection rather than
being one: its methods are the history's vocabulary, the connection's are transactions.
"""

from __future__ import annotations

import enum
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, Unpack

from toki_tui.core.errors import HistoryError
from toki_tui.core.store import reply_rows, tree
from toki_tui.core.store.connection import (
    CONVERSATION_SELECT,
    StoreConnection,
    read_conversation,
    read_message,
)
from toki_tui.core.store.conversation_ref import resolve_conversation_ref
from toki_tui.core.store.records import (
    ROLES,
    STATUSES,
    Conversation,
    OpenReport,
    SearchHit,
    StoredMessage,
    conversation_from_row,
    dump_json,
)
from toki_tui.core.store.reply_rows import ReplyOutcome
from toki_tui.core.store.search import SNIPPET_END, SNIPPET_START, search_history
from toki_tui.core.store.tree import ImportedMessage, insert_tree
from toki_tui.core.store.usage import Grouping, UsageRow, usage_by, usage_total


class _Sentinel(enum.Enum):
    LEAF = "the conversation's current leaf"
    UNSET = "unchanged"


LEAF: Literal[_Sentinel.LEAF] = _Sentinel.LEAF
"""`add_message(parent_id=LEAF)` (the default): attach to the conversation's current leaf."""
UNSET: Literal[_Sentinel.UNSET] = _Sentinel.UNSET
"""`update_conversation_settings(system_prompt=UNSET)` (the default): leave the system prompt as it is."""


class HistoryStore:
    """The history: `HistoryStore(path)` does no I/O; `open()` does, and reports what it found."""

    def __init__(self, path: Path) -> None:
        self._connection = StoreConnection(path)
        self._read = self._connection.read
        self._write = self._connection.write

    @property
    def path(self) -> Path:
        return self._connection.path

    @property
    def read_only(self) -> bool:
        """True when the file (or its folder) cannot be written: it was opened for reading only, and every write
        raises HistoryUnwritableError."""
        return self._connection.read_only

    def open(self) -> OpenReport:
        """Create the folder and file if needed, migrate, replace a corrupt file, and mark replies abandoned by a
        crashed process "interrupted" (see StoreConnection.open)."""
        return self._connection.open()

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # ---- reading the tree (tree.py) -------------------------------------------------------------------

    def branch(self, conversation_id: str, leaf_id: int | None = None) -> list[StoredMessage]:
        """Root to `leaf_id` (by default the current leaf), oldest first: the messages sent as context."""
        with self._read() as db:
            return tree.branch(db, self.path, conversation_id, leaf_id)

    def latest_messages(self, conversation_id: str, limit: int = 100) -> tuple[list[StoredMessage], bool]:
        """The newest `limit` messages of the current branch, oldest first, and whether older ones exist."""
        with self._read() as db:
            return tree.latest_messages(db, self.path, conversation_id, limit)

    def older_messages(
        self, conversation_id: str, before_message_id: int, limit: int = 100
    ) -> tuple[list[StoredMessage], bool]:
        """The `limit` messages of the branch just above `before_message_id` (for scrolling up)."""
        with self._read() as db:
            return tree.older_messages(db, self.path, conversation_id, before_message_id, limit)

    def conversation_messages(self, conversation_id: str) -> list[StoredMessage]:
        """Every message of the conversation, every branch, in the order they were added (for export)."""
        with self._read() as db:
            return tree.conversation_messages(db, self.path, conversation_id)

    def siblings(self, message_id: int) -> list[StoredMessage]:
        """The message and its alternatives (same parent), oldest first; e.g. the replies regenerated."""
        with self._read() as db:
            return tree.siblings(db, self.path, message_id)

    def deepest_leaf(self, message_id: int) -> int:
        """The leaf reached from `message_id` by always following the newest child."""
        with self._read() as db:
            return tree.deepest_leaf(db, message_id)

    def sibling_positions(self, conversation_id: str) -> dict[int, tuple[int, int]]:
        """Message id -> (position, count) among its siblings, for messages that have any."""
        with self._read() as db:
            return tree.sibling_positions(db, conversation_id)

    def leaves(self, conversation_id: str) -> list[int]:
        """The ends of the conversation's branches, oldest first."""
        with self._read() as db:
            return tree.leaves(db, conversation_id)

    def position_in_branch(self, message_id: int) -> int:
        """The message's 1-based place in its branch."""
        with self._read() as db:
            return tree.position_in_branch(db, message_id)

    def get_message(self, message_id: int) -> StoredMessage:
        with self._read() as db:
            return read_message(db, message_id, self.path)

    def conversation_exists(self, conversation_id: str) -> bool:
        with self._read() as db:
            return db.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone() is not None

    # ---- conversations --------------------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        endpoint: str,
        model: str,
        title: str = "",
        system_prompt: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Conversation:
        now = time.time()
        # 128 random bits in hex, as uuid4().hex but without importing uuid on `toki ask`'s start-up path.
        conversation_id = os.urandom(16).hex()
        with self._write() as db:
            db.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, endpoint, model, system_prompt, "
                "params) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, title, now, now, endpoint, model, system_prompt, dump_json(params or {})),
            )
        return Conversation(
            conversation_id, title, now, now, endpoint, model, system_prompt, dict(params or {}), None, False, False, 0
        )

    def get_conversation(self, conversation_id: str) -> Conversation:
        with self._read() as db:
            return read_conversation(db, conversation_id, self.path)

    def resolve_conversation_ref(self, ref: str) -> str:
        """The full id for a full id, a unique prefix of one, or "last" (the most recent conversation)."""
        with self._read() as db:
            return resolve_conversation_ref(db, ref)

    def list_conversations(
        self, limit: int = 50, offset: int = 0, *, include_archived: bool = False
    ) -> list[Conversation]:
        """Pinned first, then the most recently active."""
        where = "" if include_archived else " WHERE archived = 0"
        with self._read() as db:
            rows = db.execute(
                f"{CONVERSATION_SELECT}{where} ORDER BY pinned DESC, updated_at DESC, seq DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [conversation_from_row(row) for row in rows]

    def most_recent_conversation(self) -> Conversation | None:
        """The unarchived conversation with the latest activity, pinned or not (what `toki ask -c` continues)."""
        with self._read() as db:
            row = db.execute(
                f"{CONVERSATION_SELECT} WHERE archived = 0 ORDER BY updated_at DESC, seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else conversation_from_row(row)

    def _update_conversation(self, conversation_id: str, assignments: str, values: tuple[Any, ...]) -> None:
        with self._write() as db:
            cursor = db.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", (*values, conversation_id))
            if cursor.rowcount == 0:
                raise HistoryError(f"there is no conversation {conversation_id[:8]!r} in the history {self.path}")

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        self._update_conversation(conversation_id, "title = ?", (" ".join(title.split()),))

    def set_archived(self, conversation_id: str, archived: bool) -> None:
        self._update_conversation(conversation_id, "archived = ?", (int(archived),))

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self._update_conversation(conversation_id, "pinned = ?", (int(pinned),))

    def update_conversation_settings(
        self,
        conversation_id: str,
        *,
        model: str | None = None,
        endpoint: str | None = None,
        system_prompt: str | Literal[_Sentinel.UNSET] | None = UNSET,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Change what the next request uses; None (or UNSET for the system prompt) leaves a setting as it is."""
        assignments: list[str] = []
        values: list[Any] = []
        for column, value in (("model", model), ("endpoint", endpoint), ("params", dump_json(params))):
            if value is not None:
                assignments.append(f"{column} = ?")
                values.append(value)
        if system_prompt is not UNSET:
            assignments.append("system_prompt = ?")
            values.append(system_prompt)
        if assignments:
            self._update_conversation(conversation_id, ", ".join(assignments), tuple(values))
        else:
            self.get_conversation(conversation_id)  # still say so when the id is wrong

    def delete_conversation(self, conversation_id: str) -> None:
        """The conversation and all its messages, at once and for good."""
        with self._write() as db:
            cursor = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if cursor.rowcount == 0:
                raise HistoryError(f"there is no conversation {conversation_id[:8]!r} in the history {self.path}")

    # ---- messages -------------------------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: str,
        *,
        role: str,
        content: str,
        parent_id: int | Literal[_Sentinel.LEAF] | None = LEAF,
        name: str | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        tool_call_id: str | None = None,
        status: str = "complete",
        attachments: list[dict[str, Any]] | None = None,
    ) -> StoredMessage:
        """Add a message under `parent_id` (by default the current leaf) and make it the current leaf. The first
        user message of an untitled conversation gives it its title."""
        if role not in ROLES:
            raise HistoryError(f"{role!r} is not a message role (one of {', '.join(sorted(ROLES))})")
        if status not in STATUSES:
            raise HistoryError(f"{status!r} is not a message status (one of {', '.join(STATUSES)})")
        with self._write() as db:
            conversation = read_conversation(db, conversation_id, self.path)
            parent = conversation.current_leaf_id if parent_id is LEAF else parent_id
            fields = {
                "role": role,
                "content": content,
                "name": name,
                "tool_calls": dump_json(tool_calls),
                "tool_call_id": tool_call_id,
                "status": status,
                "created_at": time.time(),
                "attachments": dump_json(attachments),
            }
            return reply_rows.insert_message(db, self.path, conversation, parent, fields)

    def start_reply(
        self, conversation_id: str, *, parent_id: int | None, model: str, endpoint: str, params: dict[str, Any]
    ) -> StoredMessage:
        """The assistant row of a reply that has started arriving: empty, "streaming", owned by this process."""
        with self._write() as db:
            return reply_rows.start(
                db, self.path, conversation_id, parent_id=parent_id, model=model, endpoint=endpoint, params=params
            )

    def reopen_reply(self, message_id: int) -> StoredMessage:
        """Make an ended reply "streaming" again, owned by this process, to append a continuation to it: its
        checkpoints and its finish then write the same row (content = what it had + what follows)."""
        with self._write() as db:
            return reply_rows.reopen(db, self.path, message_id)

    def checkpoint_reply(
        self,
        message_id: int,
        *,
        content: str,
        reasoning: str | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> None:
        """Save the reply's text so far (a crash then loses only what came after). One row update, no fsync,
        no re-indexing, so it stays far below a frame's time. A reply that has already ended is left as it ended."""
        with self._write() as db:
            reply_rows.checkpoint(
                db, self.path, message_id, content=content, reasoning=reasoning, tool_calls=tool_calls
            )

    def finish_reply(self, message_id: int, **outcome: Unpack[ReplyOutcome]) -> StoredMessage:
        """Record how the reply ended (reply_rows.ReplyOutcome: content, status "complete", "stopped", "length",
        "error" or "interrupted", usage, times, error, and its estimated cost with the price it used)."""
        reply_rows.check_outcome(outcome)
        with self._write() as db:
            return reply_rows.finish(db, self.path, message_id, outcome)

    def mark_reply_unsaved(self, message_id: int, *, reason: str) -> None:
        """A reply the store could not take in full (a full disk): keep the text saved so far, marked cut off
        ("interrupted") with the reason. It may fail too: SQLite rewrites a whole row to update it, and a long
        row does not fit on a full disk; the row is then left "streaming" with the text of its last checkpoint,
        and the next start after this process ends marks it interrupted."""
        with self._write() as db:
            reply_rows.mark_unsaved(db, message_id, reason)

    def set_current_leaf(self, conversation_id: str, leaf_id: int) -> None:
        """Show (and continue from) the branch ending at `leaf_id`, e.g. after picking another sibling."""
        with self._write() as db:
            row = db.execute("SELECT conversation_id FROM messages WHERE id = ?", (leaf_id,)).fetchone()
            if row is None or row[0] != conversation_id:
                raise HistoryError(f"message {leaf_id} is not in conversation {conversation_id[:8]!r}")
            db.execute("UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (leaf_id, conversation_id))

    def import_conversation(self, conversation: Conversation, messages: list[ImportedMessage]) -> Conversation:
        """Insert a whole conversation as given (times, statuses, the tree), in one transaction; for imports.

        Message ids are the store's own: each ImportedMessage names its parent by its position in `messages`
        (parents come first), and `conversation.current_leaf_id` is such a position too.
        """
        with self._write() as db:
            insert_tree(db, conversation, messages)
            return read_conversation(db, conversation.id, self.path)

    def import_conversations(
        self, conversations: list[tuple[Conversation, list[ImportedMessage]]]
    ) -> tuple[list[Conversation], list[Conversation]]:
        """Import several conversations in one transaction, all or none (an import file is one unit); those
        already in the history (same id) are left as they are. Returns (imported, skipped)."""
        imported: list[Conversation] = []
        skipped: list[Conversation] = []
        with self._write() as db:
            for conversation, messages in conversations:
                exists = db.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation.id,)).fetchone()
                if exists is not None:
                    skipped.append(read_conversation(db, conversation.id, self.path))
                    continue
                insert_tree(db, conversation, messages)
                imported.append(read_conversation(db, conversation.id, self.path))
        return imported, skipped

    def usage(self, by: Grouping, since: float | None = None) -> list[UsageRow]:
        """Tokens and estimated cost of the replies since `since`, per model, day or conversation (usage.py)."""
        with self._read() as db:
            return usage_by(db, by, since)

    def usage_total(self, since: float | None = None, conversation_id: str | None = None) -> UsageRow:
        """Tokens and estimated cost of all replies since `since`, or of one conversation's (usage.py)."""
        with self._read() as db:
            return usage_total(db, since, conversation_id)

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Messages and titles containing every word of `query` (the last word as a prefix), best first."""
        with self._read() as db:
            return search_history(db, query, limit)


__all__ = [
    "LEAF",
    "SNIPPET_END",
    "SNIPPET_START",
    "UNSET",
    "Conversation",
    "HistoryError",
    "HistoryStore",
    "ImportedMessage",
    "OpenReport",
    "SearchHit",
    "StoredMessage",
]
