"""The history file's connection: opening, closing, and the read and write transactions every query uses.

Writes run in `BEGIN IMMEDIATE` transactions: a writer takes the write lock up front, so it waits (up to the busy
timeout) for another process instead of failing with "database is locked" half-way through. One connection is
used under a lock, so the TUI's worker threads can share the store.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toki_tui.core.errors import HistoryError, HistoryUnwritableError
from toki_tui.core.store.records import (
    CONVERSATION_COLUMNS,
    MESSAGE_COLUMNS,
    Conversation,
    OpenReport,
    StoredMessage,
    conversation_from_row,
    message_from_row,
)
from toki_tui.core.store.schema import (
    SCHEMA_VERSION,
    connect_read_only,
    interrupt_abandoned_replies,
    is_damaged,
    is_disk_full,
    is_read_only,
    open_database,
)

CONVERSATION_SELECT = f"SELECT {CONVERSATION_COLUMNS} FROM conversations"


class StoreConnection:
    """One SQLite connection to the history file, shared by threads under a lock. HistoryStore holds one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self.read_only = False
        """True when the file (or its folder) cannot be written: it was opened for reading only, and every
        write raises HistoryUnwritableError."""

    # ---- lifecycle ------------------------------------------------------------------------------------

    def open(self) -> OpenReport:
        """Create the folder and file if needed, migrate, replace a corrupt file, and mark replies abandoned by
        a crashed process "interrupted". A history that cannot be written (read-only file or folder) is opened
        for reading, with a notice; a full disk only skips the marking. Calling it again on an open store only
        reports."""
        notices: list[str] = []
        with self._lock:
            if self._connection is not None:
                return OpenReport(self.path, False, None, None, 0, ())
            try:
                opened = open_database(self.path)
            except (sqlite3.Error, OSError) as error:
                if not is_read_only(error, self.path):
                    raise self._open_failure(error) from error
                return self._open_read_only(error)
            interrupted = 0
            try:
                interrupted = interrupt_abandoned_replies(opened.connection, time.time())
            except sqlite3.Error as error:
                if not is_disk_full(error):
                    opened.connection.close()
                    raise self._open_failure(error) from error
                notices.append(f"{self._unwritable(error)}; replies cut off earlier are still marked as streaming")
            except BaseException:
                opened.connection.close()
                raise
            self._connection = opened.connection
        if opened.corrupt_moved_to is not None:
            notices.append(
                f"the history file {self.path} could not be read as a database; it was kept as "
                f"{opened.corrupt_moved_to} and a new, empty history was started"
            )
        if opened.migrated_from is not None:
            notices.append(
                f"the history file {self.path} was upgraded from version {opened.migrated_from}; "
                f"the old file was copied to {opened.backup}"
            )
        if interrupted:
            plural = "reply was" if interrupted == 1 else "replies were"
            notices.append(
                f"{interrupted} {plural} left unfinished by a toki that stopped (or could not save them, as on a full "
                "disk) before they ended; what was saved is kept, marked 'interrupted'"
            )
        return OpenReport(
            path=self.path,
            created=opened.created,
            migrated_from=opened.migrated_from,
            corrupt_moved_to=opened.corrupt_moved_to,
            interrupted_count=interrupted,
            notices=tuple(notices),
        )

    def _open_failure(self, error: BaseException) -> HistoryError:
        if isinstance(error, sqlite3.Error) and _is_busy(error):
            return HistoryError(
                f"cannot open the history file {self.path}: another process (another toki, or a program that "
                "opened the file) held its write lock for too long; close it and try again"
            )
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return HistoryError(f"cannot open the history file {self.path}: {reason}")

    def _open_read_only(self, error: BaseException) -> OpenReport:
        """Open for reading after writing was refused; without a file there is nothing to read (an empty
        in-memory history stands in, so browsing shows nothing rather than failing)."""
        try:
            connection = connect_read_only(self.path)
            (version,) = connection.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error as read_error:
            raise self._open_failure(read_error) from error
        if 0 < version < SCHEMA_VERSION:  # its tables lack this toki's columns, and upgrading needs writing
            connection.close()
            raise HistoryError(
                f"the history file {self.path} is from an older toki (history version {version}) and cannot be "
                f"upgraded to version {SCHEMA_VERSION} because it is read-only; make it (and its folder) writable "
                "once, or set TOKI_DATA_DIR to another folder"
            ) from error
        self._connection = connection
        self.read_only = True
        notice = (
            f"history is read-only: conversations will not be saved ({self.path} or its folder cannot be "
            "written; what is there can still be browsed)"
        )
        return OpenReport(self.path, False, None, None, 0, (notice,))

    def _read_only_message(self) -> str:
        return f"history is read-only ({self.path} or its folder cannot be written)"

    def _unwritable(self, error: sqlite3.Error) -> str:
        if is_disk_full(error):
            return f"the disk is full: the history file {self.path} could not be written; free some space"
        return self._read_only_message()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise HistoryError(f"the history {self.path} is not open (call open() first)")
        return self._connection

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self.db()
            except sqlite3.Error as error:
                raise self._failure(error) from error

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock at BEGIN so it waits for other processes, not fails."""
        with self._lock:
            db = self.db()
            if self.read_only:
                raise HistoryUnwritableError(self._read_only_message())
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._failure(error) from error
            try:
                yield db
                db.execute("COMMIT")
            except BaseException as error:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._failure(error) from error
                raise

    def _failure(self, error: sqlite3.Error) -> HistoryError:
        if is_disk_full(error) or is_read_only(error, self.path):
            return HistoryUnwritableError(self._unwritable(error))
        if _is_busy(error):
            return HistoryError(
                f"the history file {self.path} stayed locked by another process (another toki, or a program that "
                "opened the file) for too long"
            )
        if is_damaged(error):
            return HistoryError(
                f"the history file {self.path} is damaged ({error}); nothing can be read from or saved to the "
                "broken part. Move the file aside while no toki runs: toki then starts a new, empty history "
                "(the old file can often be salvaged with `sqlite3 FILE .recover`)"
            )
        return HistoryError(f"the history file {self.path} failed: {error}")


def _is_busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def read_conversation(db: sqlite3.Connection, conversation_id: str, path: Path) -> Conversation:
    """The conversation, or HistoryError naming the history file `path`."""
    row = db.execute(f"{CONVERSATION_SELECT} WHERE id = ?", (conversation_id,)).fetchone()
    if row is None:
        raise HistoryError(f"there is no conversation {conversation_id[:8]!r} in the history {path}")
    return conversation_from_row(row)


def read_message(db: sqlite3.Connection, message_id: int, path: Path) -> StoredMessage:
    """The message, or HistoryError naming the history file `path`."""
    row = db.execute(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise HistoryError(f"there is no message {message_id} in the history {path}")
    return message_from_row(row)
