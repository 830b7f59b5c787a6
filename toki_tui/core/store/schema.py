"""The history file's schema, and opening it safely: create, migrate (after a copy), recover, or refuse.

The schema version lives in `PRAGMA user_version`. Opening never damages what is on disk:
- a file that is not SQLite, or that SQLite cannot read, is moved aside (never deleted) and a fresh one created;
- a file written by a newer toki is refused before anything writes to it (not even the switch to WAL);
- before a migration the file is copied with `VACUUM INTO`, so a failed or unwanted upgrade can be undone.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from toki_tui.core.errors import HistoryError
from toki_tui.core.store.migrations import (
    CJK_GLOB,
    MIGRATIONS,
    SCHEMA_V1,
    SCHEMA_V2,
    SCHEMA_V3,
    SCHEMA_V4,
    SCHEMA_V5,
)

__all__ = ["CJK_GLOB", "MIGRATIONS", "SCHEMA_V1", "SCHEMA_V2", "SCHEMA_V3", "SCHEMA_V4", "SCHEMA_V5", "SCHEMA_VERSION"]

SCHEMA_VERSION = 5
"""The version a new history is created at; `MIGRATIONS[n]` (migrations.py) turns version n-1 into n."""

BUSY_TIMEOUT_SECONDS = 10.0
"""How long a write waits for another toki process's write to finish before giving up."""

STALE_STREAMING_SECONDS = 15 * 60
"""A "streaming" row untouched this long is interrupted even if a process with its writer's pid exists
(the pid was reused): far above the client's idle limit, so a live reply is never cut off."""

_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class OpenedDatabase:
    connection: sqlite3.Connection
    created: bool
    migrated_from: int | None
    backup: Path | None
    corrupt_moved_to: Path | None


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (the store issues BEGIN IMMEDIATE itself), shareable by worker threads
    (the store serialises calls with a lock), waiting up to BUSY_TIMEOUT_SECONDS for other writers."""
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


_SQLITE_READONLY = 8
_SQLITE_CANTOPEN = 14
_SQLITE_FULL = 13
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def _primary_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_disk_full(error: BaseException) -> bool:
    """SQLITE_FULL (or ENOSPC from the folder): the disk, or the database's page limit, has no room."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    if not isinstance(error, sqlite3.Error):
        return False
    return _primary_code(error) == _SQLITE_FULL or "database or disk is full" in str(error)


def is_damaged(error: sqlite3.Error) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB met after opening: pages past the header are broken (a bad disk, a
    half-copied file), so reads and writes touching them fail however often they are retried."""
    code = _primary_code(error)
    return code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in str(error)


def is_read_only(error: BaseException, path: Path) -> bool:
    """The history (or its folder) cannot be written, as opposed to being damaged or busy."""
    if isinstance(error, OSError):
        return error.errno in _READ_ONLY_ERRNOS
    if not isinstance(error, sqlite3.Error):
        return False
    code = _primary_code(error)
    if code == _SQLITE_READONLY or "readonly database" in str(error):
        return True
    # Opening a WAL file in a folder toki may not write fails with "unable to open database file".
    return code == _SQLITE_CANTOPEN and path.exists() and not _writable(path)


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that only reads: the file as it is (`mode=ro`; `immutable=1` where SQLite cannot even set up
    its shared memory next to it), or, with no file yet, an empty history in memory."""
    if not path.exists():
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        create_schema(connection)
        return connection
    for options in ("mode=ro", "immutable=1"):
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?{options}", uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            _probe(connection)
        except sqlite3.Error:
            connection.close()
            if options == "immutable=1":
                raise
            continue
        return connection
    raise AssertionError("unreachable")


def _timestamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _free_name(base: Path) -> Path:
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def move_aside(path: Path) -> Path:
    """Rename the history file (and its WAL/SHM companions, which belong to it) to `<name>.corrupt-<time>`."""
    target = _free_name(path.with_name(f"{path.name}.corrupt-{_timestamp()}"))
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target


def _has_sqlite_header(path: Path) -> bool:
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    # An empty file is a valid empty database (SQLite writes the header on the first write).
    return header == _SQLITE_HEADER or header == b""


def _probe(connection: sqlite3.Connection) -> int:
    """The schema version, reading enough of the file to fail now, not later, if it is not a database."""
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return int(version)


def _has_tables(connection: sqlite3.Connection) -> bool:
    row = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'conversations'").fetchone()
    return row is not None


def _use_wal(connection: sqlite3.Connection) -> None:
    """WAL lets readers and one writer work at once. Switching needs a moment alone with the file, which
    several processes starting together may not get at first, and SQLite does not wait for it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                connection.execute("PRAGMA journal_mode = WAL").fetchone()
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    # In WAL mode NORMAL loses no committed write when a process dies (only on power loss), and a commit
    # costs no fsync, which keeps a checkpoint far below a frame's time.
    connection.execute("PRAGMA synchronous = NORMAL")


def _newer_version_error(path: Path, version: int) -> HistoryError:
    return HistoryError(
        f"the history file {path} was written by a newer toki (history version {version}; this toki reads up "
        f"to {SCHEMA_VERSION}); toki left it untouched. Upgrade toki, or set TOKI_DATA_DIR to another folder"
    )


def _backup(connection: sqlite3.Connection, path: Path, version: int) -> Path:
    """A copy of the history before it is upgraded. Written under a `.partial` name and renamed when whole: a
    toki killed mid-copy leaves a file that says it is not a backup (the copy's own journal rolls it back to
    nothing), never an empty "backup" beside the history."""
    _remove_abandoned_partial_backups(path)
    target = _free_name(path.with_name(f"{path.name}.v{version}-backup-{_timestamp()}"))
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    connection.execute("VACUUM INTO ?", (str(partial),))
    os.replace(partial, target)
    return target


def _remove_abandoned_partial_backups(path: Path) -> None:
    """Delete the half copies (and their journals) of toki processes killed while backing up: each names its
    process, so one still copying (another toki starting at the same moment) is left alone."""
    for leftover in path.parent.glob(f"{glob.escape(path.name)}.v*-backup-*.partial-*"):
        pid = leftover.name.rsplit(".partial-", 1)[1].removesuffix("-journal")
        if pid.isdigit() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _create_or_migrate(connection: sqlite3.Connection, path: Path, version: int) -> tuple[bool, int | None]:
    """Inside one write transaction (re-reading the version: another process may have done it meanwhile)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        created, migrated_from = False, None
        if version == 0 and not _has_tables(connection):
            create_schema(connection)
            created, version = True, SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise _newer_version_error(path, version)
        if version < SCHEMA_VERSION:
            migrated_from = version
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](connection)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        # SQLite rolls back by itself on some errors ("database or disk is full"): a second ROLLBACK would
        # replace the real error with "cannot rollback - no transaction is active".
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return created, migrated_from


def create_schema(connection: sqlite3.Connection) -> None:
    """The current schema in an empty database: version 1, then every migration, so a new history and an
    upgraded one are the same."""
    for statement in SCHEMA_V1:
        connection.execute(statement)
    for step in range(2, SCHEMA_VERSION + 1):
        MIGRATIONS[step](connection)


def _create_private(path: Path) -> None:
    """Create the history file readable by its owner only (0600) before SQLite opens it: the history is as
    private as the conversations in it. SQLite gives the -wal and -shm files the same permissions."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def open_database(path: Path) -> OpenedDatabase:
    """Open (creating, migrating or replacing a corrupt file as needed) and return a ready connection."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    corrupt_moved_to: Path | None = None
    if path.exists() and not _has_sqlite_header(path):
        corrupt_moved_to = move_aside(path)
    _create_private(path)
    connection = connect(path)
    try:
        version = _probe(connection)
    except sqlite3.OperationalError:
        connection.close()
        raise  # busy, unreadable: the caller words it (StoreConnection.open)
    except sqlite3.DatabaseError:
        # "file is not a database", "database disk image is malformed": keep it for the user, start afresh.
        connection.close()
        corrupt_moved_to = move_aside(path)
        _create_private(path)
        connection = connect(path)
        version = _probe(connection)
    try:
        if version > SCHEMA_VERSION:
            raise _newer_version_error(path, version)
        _use_wal(connection)
        backup = None
        if 0 < version < SCHEMA_VERSION:
            backup = _backup(connection, path, version)
        if version != SCHEMA_VERSION:
            created, migrated_from = _create_or_migrate(connection, path, version)
        else:
            created, migrated_from = False, None
    except BaseException:
        connection.close()
        raise
    return OpenedDatabase(connection, created or corrupt_moved_to is not None, migrated_from, backup, corrupt_moved_to)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine). Windows has no signal 0, so there every
    streaming row found at start-up counts as abandoned."""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def interrupt_abandoned_replies(connection: sqlite3.Connection, now: float) -> int:
    """Mark "interrupted" every reply left "streaming" by a process that is gone. A reply another running toki
    is still writing (the TUI while `toki ask` starts) is left alone."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        rows = connection.execute(
            "SELECT id, writer_pid, touched_at FROM messages WHERE status = 'streaming'"
        ).fetchall()
        abandoned = [
            (message_id,)
            for message_id, writer_pid, touched_at in rows
            if writer_pid is None
            or not process_alive(int(writer_pid))
            or touched_at is None
            or now - float(touched_at) > STALE_STREAMING_SECONDS
        ]
        connection.executemany(
            "UPDATE messages SET status = 'interrupted', writer_pid = NULL WHERE id = ? AND status = 'streaming'",
            abandoned,
        )
        connection.execute("COMMIT")
    except BaseException:
        # SQLite rolls back by itself on some errors ("database or disk is full"): a second ROLLBACK would
        # replace the real error with "cannot rollback - no transaction is active".
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return len(abandoned)
