"""A conversation reference (a full id, a unique prefix of one, or "last") and its check for `toki --resume REF`
before the full screen opens: a reference that names no conversation (or more than one) is a mistake on the command
line, reported like a bad `--preset` (exit 2), not an empty chat opened over it. Only sqlite3 is imported here: the
check runs before the screen's first frame."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from toki_tui.core.errors import HistoryError


def resolve_conversation_ref(db: sqlite3.Connection, ref: str) -> str:
    """The full id for a full id, a unique prefix of one, or "last" (the most recent unarchived conversation)."""
    wanted = ref.strip().lower()
    if wanted == "last":
        recent = db.execute(
            "SELECT id FROM conversations WHERE archived = 0 ORDER BY updated_at DESC, seq DESC LIMIT 1"
        ).fetchone()
        if recent is None:
            raise HistoryError("there are no conversations in the history yet")
        return str(recent[0])
    if not wanted or any(character not in "0123456789abcdef" for character in wanted):
        raise HistoryError(f"{ref!r} is not a conversation id (use the id from `toki history list`, or 'last')")
    rows = db.execute(
        "SELECT id, title FROM conversations WHERE id >= ? AND id < ? ORDER BY id LIMIT 3", (wanted, wanted + "g")
    ).fetchall()
    if not rows:
        raise HistoryError(f"no conversation id starts with {wanted!r}")
    if len(rows) > 1:
        examples = ", ".join(f"{row[0][:12]} ({row[1] or 'untitled'})" for row in rows[:2])
        raise HistoryError(f"{wanted!r} matches more than one conversation ({examples}, ...); give more of the id")
    return str(rows[0][0])


LIST_HINT = "`toki history list` lists the conversations"


def resume_problem(history_file: Path, reference: str) -> str | None:
    """One line saying why `reference` (an id or a prefix of one) names no single conversation, or None when it
    names one, when it is "last", or when the history cannot be read here.

    "last" on an empty history, and a history that cannot be read (locked, corrupt, not a database), are left to
    the app as before: it opens the history itself and says what it found in the window (a corrupt file is moved
    aside there, which a read-only look must not do), and a new conversation is still useful then."""
    if reference.strip().lower() == "last":
        return None
    if not history_file.exists():
        return f"--resume {reference}: there are no conversations in the history yet ({history_file})"
    try:
        connection = sqlite3.connect(f"{history_file.absolute().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return None
    try:
        resolve_conversation_ref(connection, reference)
    except HistoryError as error:
        hint = "" if "toki history list" in str(error) else f"; {LIST_HINT}"
        return f"--resume {reference}: {error}{hint}"
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return None
