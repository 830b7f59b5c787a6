"""The history's schema, version by version: the statements of version 1, and `MIGRATIONS[n]`, which turns a
version n-1 history into version n. A new history is version 1 plus every migration (schema.create_schema), so a
new history and an upgraded one are the same. Opening, and when migrations run, is schema.py's business.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

_TOKENIZER = "unicode61 remove_diacritics 2"

# One statement per item: executescript() would commit the surrounding BEGIN IMMEDIATE.
SCHEMA_V1: tuple[str, ...] = (
    """CREATE TABLE conversations (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        endpoint TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        system_prompt TEXT,
        params TEXT NOT NULL DEFAULT '{}',
        current_leaf_id INTEGER,
        archived INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        message_count INTEGER NOT NULL DEFAULT 0
    )""",
    # The list: unarchived, pinned first, most recent first (read backwards); and "the most recent" for -c.
    "CREATE INDEX conversations_listed ON conversations(archived, pinned, updated_at)",
    "CREATE INDEX conversations_listed_all ON conversations(pinned, updated_at)",
    "CREATE INDEX conversations_recent ON conversations(archived, updated_at)",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL DEFAULT '',
        reasoning TEXT,
        tool_calls TEXT,
        tool_call_id TEXT,
        name TEXT,
        status TEXT NOT NULL DEFAULT 'complete',
        created_at REAL NOT NULL,
        model TEXT,
        endpoint TEXT,
        params TEXT,
        usage TEXT,
        ttft REAL,
        duration REAL,
        finish_reason TEXT,
        error TEXT,
        writer_pid INTEGER,
        touched_at REAL
    )""",
    "CREATE INDEX messages_by_conversation ON messages(conversation_id, id)",
    "CREATE INDEX messages_by_parent ON messages(parent_id)",
    "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
    """CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
    END""",
    """CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
    END""",
    # Full-text index. A reply still streaming is left out, so a checkpoint (every second, the whole text so
    # far) costs one row update instead of re-indexing a growing text; it is indexed when it ends.
    # prefix='3': an index of 3-letter prefixes, so search-as-you-type ("kub" -> kubernetes) reads one list
    # instead of merging the lists of every word that starts that way.
    f"CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='id', "
    f"tokenize='{_TOKENIZER}', prefix='3')",
    """CREATE TRIGGER messages_fts_inserted AFTER INSERT ON messages WHEN new.status != 'streaming' BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END""",
    """CREATE TRIGGER messages_fts_deleted AFTER DELETE ON messages WHEN old.status != 'streaming' BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END""",
    """CREATE TRIGGER messages_fts_updated AFTER UPDATE OF content, status ON messages
        WHEN old.content IS NOT new.content OR (old.status = 'streaming') != (new.status = 'streaming')
    BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            SELECT 'delete', old.id, old.content WHERE old.status != 'streaming';
        INSERT INTO messages_fts(rowid, content) SELECT new.id, new.content WHERE new.status != 'streaming';
    END""",
    f"CREATE VIRTUAL TABLE titles_fts USING fts5(title, content='conversations', content_rowid='seq', "
    f"tokenize='{_TOKENIZER}')",
    """CREATE TRIGGER titles_fts_inserted AFTER INSERT ON conversations BEGIN
        INSERT INTO titles_fts(rowid, title) VALUES (new.seq, new.title);
    END""",
    """CREATE TRIGGER titles_fts_deleted AFTER DELETE ON conversations BEGIN
        INSERT INTO titles_fts(titles_fts, rowid, title) VALUES ('delete', old.seq, old.title);
    END""",
    """CREATE TRIGGER titles_fts_updated AFTER UPDATE OF title ON conversations
        WHEN old.title IS NOT new.title
    BEGIN
        INSERT INTO titles_fts(titles_fts, rowid, title) VALUES ('delete', old.seq, old.title);
        INSERT INTO titles_fts(rowid, title) VALUES (new.seq, new.title);
    END""",
)

# Scripts written without spaces between words (Chinese, Japanese, Korean): the word index holds a whole run of
# them as one token, so a word inside a sentence could not be found. Hiragana and Katakana, CJK Unified
# Ideographs and Extension A, Hangul syllables, and the CJK compatibility ideographs, as a GLOB class (SQLite's
# GLOB compares code points).
CJK_GLOB = "*[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]*"

_CJK_INDEXED_NEW = f"new.status != 'streaming' AND new.content GLOB '{CJK_GLOB}'"
_CJK_INDEXED_OLD = f"old.status != 'streaming' AND old.content GLOB '{CJK_GLOB}'"

# Version 2: a trigram index of the messages written in those scripts, for substring search ("東京" finds
# "東京の天気"). Only such messages are in it: a trigram index is about three times the size of its text, which
# for every message (logs piped into `toki ask` included) would triple the history for a feature few use.
SCHEMA_V2: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE messages_cjk USING fts5(content, content='messages', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER messages_cjk_inserted AFTER INSERT ON messages WHEN {_CJK_INDEXED_NEW} BEGIN
        INSERT INTO messages_cjk(rowid, content) VALUES (new.id, new.content);
    END""",
    f"""CREATE TRIGGER messages_cjk_deleted AFTER DELETE ON messages WHEN {_CJK_INDEXED_OLD} BEGIN
        INSERT INTO messages_cjk(messages_cjk, rowid, content) VALUES ('delete', old.id, old.content);
    END""",
    f"""CREATE TRIGGER messages_cjk_updated AFTER UPDATE OF content, status ON messages
        WHEN old.content IS NOT new.content OR old.status IS NOT new.status
    BEGIN
        INSERT INTO messages_cjk(messages_cjk, rowid, content)
            SELECT 'delete', old.id, old.content WHERE {_CJK_INDEXED_OLD};
        INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content WHERE {_CJK_INDEXED_NEW};
    END""",
    f"INSERT INTO messages_cjk(rowid, content) SELECT id, content FROM messages AS new WHERE {_CJK_INDEXED_NEW}",
)

# Version 3: files attached to a user message, as a JSON list of records (core/attachments.py), NULL for none.
# A column of their own keeps `content` the typed text, which is what search indexes and the transcript shows.
SCHEMA_V3: tuple[str, ...] = ("ALTER TABLE messages ADD COLUMN attachments TEXT",)

# Version 4: what each reply cost, estimated when it ended (core/pricing.py): `cost_estimate` in the prices' currency
# (NULL: unknown, never 0 for unknown) and `price`, the price used (JSON record; NULL when none was known); rows from
# before have no cost. `prompt_tokens` and `completion_tokens` copy the counts in `usage` (NULL when not reported,
# or not a count), written with it, so that a partial index over the replies holds everything `toki usage` sums and
# its aggregates read that index alone (core/store/usage.py; figures in docs/performance.md). Virtual generated
# columns would need no writing, but SQLite computes them from each row, and a row's `usage` lies after its
# `content`: the sums would read every reply's whole text. The index lists `role` although its WHERE fixes it:
# without it SQLite does not see that the index covers the query.
_TOKENS_FROM_USAGE = (
    "CASE WHEN json_valid(usage) AND json_type(usage, '$.{name}') = 'integer' "
    "AND json_extract(usage, '$.{name}') >= 0 THEN json_extract(usage, '$.{name}') END"
)
SCHEMA_V4: tuple[str, ...] = (
    "ALTER TABLE messages ADD COLUMN cost_estimate REAL",
    "ALTER TABLE messages ADD COLUMN price TEXT",
    "ALTER TABLE messages ADD COLUMN prompt_tokens INTEGER",
    "ALTER TABLE messages ADD COLUMN completion_tokens INTEGER",
    f"UPDATE messages SET prompt_tokens = {_TOKENS_FROM_USAGE.format(name='prompt_tokens')}, "
    f"completion_tokens = {_TOKENS_FROM_USAGE.format(name='completion_tokens')} WHERE usage IS NOT NULL",
    "CREATE INDEX messages_replies_by_time ON messages(created_at, model, conversation_id, status, prompt_tokens, "
    "completion_tokens, cost_estimate, role) WHERE role = 'assistant'",
)

# Version 5: where each reply's cost came from (`cost_source`): "reported" when the server said what it charged
# (OpenRouter's `usage.cost`; core/pricing.py), "estimate" when toki worked it out from a price, NULL when the cost is
# unknown. Rows from before have NULL, and their costs were all estimates. The sums' index is made again with the
# column in it, so that `toki usage` still reads the index alone to say whether a total is an estimate.
SCHEMA_V5: tuple[str, ...] = (
    "ALTER TABLE messages ADD COLUMN cost_source TEXT",
    "DROP INDEX messages_replies_by_time",
    "CREATE INDEX messages_replies_by_time ON messages(created_at, model, conversation_id, status, prompt_tokens, "
    "completion_tokens, cost_estimate, cost_source, role) WHERE role = 'assistant'",
)

Migration = Callable[[sqlite3.Connection], None]


def _run(statements: tuple[str, ...]) -> Migration:
    def migrate(connection: sqlite3.Connection) -> None:
        for statement in statements:
            connection.execute(statement)

    return migrate


MIGRATIONS: dict[int, Migration] = {
    2: _run(SCHEMA_V2),
    3: _run(SCHEMA_V3),
    4: _run(SCHEMA_V4),
    5: _run(SCHEMA_V5),
}
"""`MIGRATIONS[n]` turns a version n-1 history into version n, inside the open's write transaction."""
