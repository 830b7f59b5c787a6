"""Full-text search over the history: turning what a user typed into a safe FTS5 query, and ranking hits.

Users type words, not FTS5 syntax: `foo-bar (`, `"unbalanced`, `AND`, `col:value` must search for those
words and never raise a syntax error. Every word is quoted as an FTS5 string (so operators, parentheses and
column filters lose their meaning) and the last one, if 3 letters or more, also matches as a prefix, for
search-as-you-type.
"""

from __future__ import annotations

import re
import sqlite3

from toki_tui.core.store.records import SearchHit
from toki_tui.core.store.snippet import (
    SNIPPET_END,
    SNIPPET_START,
    make_snippet,
    make_substring_snippet,
    query_words,
)
from toki_tui.core.store.values import read_text

PREFIX_MIN_LENGTH = 3
"""The last word matches as a prefix only from this length: "a*" would match half the history, slowly."""

RANKED_MATCHES = 5_000
"""At most this many of the newest matching messages are ranked by bm25 (see search_history)."""


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
"""The scripts of schema.CJK_GLOB: a query holding one of them is searched as substrings, in messages_cjk."""

TRIGRAM = 3
"""The trigram index finds substrings of at least this many characters."""


def _words(text: str) -> list[str]:
    return [word for word in text.split() if any(character.isalnum() for character in word)]


def _prefix_last(text: str, words: list[str]) -> bool:
    return bool(words) and not text[-1].isspace() and len(words[-1]) >= PREFIX_MIN_LENGTH


def fts_query(text: str) -> str | None:
    """The FTS5 MATCH expression for `text` (all words must occur), or None when it has no searchable word."""
    words = _words(text)
    if not words:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    if _prefix_last(text, words):
        quoted[-1] += "*"
    return " ".join(quoted)


def _one_line(snippet: str) -> str:
    return " ".join(snippet.split())


def search_history(connection: sqlite3.Connection, text: str, limit: int) -> list[SearchHit]:
    """The best `limit` hits among messages and titles, best first.

    Each FTS query sorts by its own `rank` (bm25) inside FTS5 with the LIMIT, so snippets are made only for
    the rows returned, however many messages match. A message's snippet is made in Python (search_snippet.py),
    in time linear in its size: FTS5's snippet() is quadratic in the size of the message.
    """
    query = fts_query(text)
    if query is None or limit <= 0:
        return []
    if _CJK.search(text) is not None:
        return _substring_hits(connection, _words(text), limit)
    # Ranking scores every match, which for a word found in most of 500,000 messages takes seconds. FTS5 reads
    # matches newest first cheaply, so only the newest RANKED_MATCHES are ranked: all of them for a rare word,
    # the recent ones for a common word (which is what someone typing a common word most likely wants).
    (oldest_ranked,) = connection.execute(
        f"""SELECT min(rowid) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?
            ORDER BY rowid DESC LIMIT {RANKED_MATCHES})""",
        (query,),
    ).fetchone()
    message_rows = connection.execute(
        """SELECT m.conversation_id, m.id, c.title, m.content, hit.rank
            FROM (SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ? AND rowid >= ?
                  ORDER BY rank LIMIT ?) AS hit
            JOIN messages AS m ON m.id = hit.rowid
            JOIN conversations AS c ON c.id = m.conversation_id
            ORDER BY hit.rank""",
        (query, oldest_ranked or 0, limit),
    ).fetchall()
    title_rows = connection.execute(
        """SELECT c.id, c.title, hit.snippet, hit.rank
           FROM (SELECT rowid, highlight(titles_fts, 0, ?, ?) AS snippet, rank
                 FROM titles_fts WHERE titles_fts MATCH ? ORDER BY rank LIMIT ?) AS hit
           JOIN conversations AS c ON c.seq = hit.rowid
           ORDER BY hit.rank""",
        (SNIPPET_START, SNIPPET_END, query, limit),
    ).fetchall()
    words = query_words(" ".join(_words(text)), _prefix_last(text, _words(text)))
    hits = [
        SearchHit(
            read_text(conversation_id),
            message_id,
            read_text(title),
            make_snippet(read_text(content), words),
            float(rank),
        )
        for conversation_id, message_id, title, content, rank in message_rows
    ]
    hits += [
        SearchHit(read_text(conversation_id), None, read_text(title), _one_line(read_text(snippet)), float(rank))
        for conversation_id, title, snippet, rank in title_rows
    ]
    hits.sort(key=lambda hit: hit.rank)
    return hits[:limit]


def _substring_hits(connection: sqlite3.Connection, words: list[str], limit: int) -> list[SearchHit]:
    """Messages (among those written in CJK scripts, which messages_cjk indexes) and titles holding every word as
    a substring, newest first. The trigram index answers words of 3 characters or more; a shorter word (most
    CJK words are 1-2 characters) is checked with LIKE on the messages the index holds (listed by its
    documented `_docsize` shadow table), never on the whole history. `%` and `_` are dropped from the words:
    they would be LIKE's wildcards."""
    needles = [word.replace("%", "").replace("_", "") for word in words]
    needles = [needle for needle in needles if needle]
    if not needles:
        return []
    long_needles = [needle for needle in needles if len(needle) >= TRIGRAM]
    short_needles = [needle for needle in needles if len(needle) < TRIGRAM]
    if long_needles:
        source = "SELECT rowid AS id FROM messages_cjk WHERE " + " AND ".join("content LIKE ?" for _ in long_needles)
    else:
        source = "SELECT id FROM messages_cjk_docsize"
    short_filter = "".join(" AND m.content LIKE ?" for _ in short_needles)
    message_rows = connection.execute(
        f"""SELECT m.conversation_id, m.id, c.title, m.content
            FROM ({source}) AS hit
            JOIN messages AS m ON m.id = hit.id
            JOIN conversations AS c ON c.id = m.conversation_id
            WHERE 1 {short_filter}
            ORDER BY m.id DESC LIMIT ?""",
        (*[f"%{needle}%" for needle in long_needles], *[f"%{needle}%" for needle in short_needles], limit),
    ).fetchall()
    title_rows = connection.execute(
        "SELECT id, title FROM conversations WHERE "
        + " AND ".join("title LIKE ?" for _ in needles)
        + " ORDER BY updated_at DESC LIMIT ?",
        (*[f"%{needle}%" for needle in needles], limit),
    ).fetchall()
    hits = [
        SearchHit(
            read_text(conversation_id),
            message_id,
            read_text(title),
            make_substring_snippet(read_text(content), needles),
            float(rank),
        )
        for rank, (conversation_id, message_id, title, content) in enumerate(message_rows)
    ]
    hits += [
        SearchHit(
            read_text(conversation_id),
            None,
            read_text(title),
            make_substring_snippet(read_text(title), needles),
            float(rank),
        )
        for rank, (conversation_id, title) in enumerate(title_rows, start=len(hits))
    ]
    return hits[:limit]


__all__ = ["SNIPPET_END", "SNIPPET_START", "fts_query", "search_history"]
