"""History store speed at scale: 10,000 conversations and 500,000 messages (one of them 5,000 messages long).

    python -m tests.benchmarks.bench_store [--conversations N] [--messages N] [--runs N] [--keep DIR]

Generates the history with executemany in one transaction (the FTS triggers stay on, so the index is built the
way real use builds it), then times through the public HistoryStore API, median of several runs:
listing the 50 most recent conversations, full-text searches (a rare word, a common word, two words, a prefix),
the newest 100 messages of the 5,000-message conversation and the page above them, its whole branch, a
checkpoint write of a growing reply, adding a message, and opening the store. Prints bytes stored per message.
Targets from issue 3: list <= 20 ms, search <= 100 ms, newest 100 <= 30 ms, checkpoint <= 5 ms.
Then, in a small history of its own, searches over several 1 MB messages (large logs piped into `toki ask`),
whose time must not grow with the square of a message's size (issue 9: <= 100 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toki_tui.core.store.history_store import HistoryStore

LONG_CONVERSATION = 5_000


def vocabulary(size: int, rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(size * 2)}
    return sorted(words)[:size]


def generate(path: Path, conversations: int, messages: int, seed: int = 7) -> float:
    """Fill a fresh history; returns the seconds it took."""
    started = time.perf_counter()
    with HistoryStore(path):
        pass  # creates the schema, triggers and FTS tables
    rng = random.Random(seed)
    words = vocabulary(4_000, rng)
    # Zipf-like weights, so a few words are everywhere and most are rare, as in real text.
    cumulative: list[float] = []
    total = 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 1)
        cumulative.append(total)
    counts = [LONG_CONVERSATION] + [0] * (conversations - 1)
    remaining = messages - LONG_CONVERSATION
    for index in range(1, conversations):
        counts[index] = remaining // (conversations - index)
        remaining -= counts[index]
    now = time.time()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    conversation_rows: list[tuple[Any, ...]] = []
    message_rows: list[tuple[Any, ...]] = []
    next_id = 1
    for index, count in enumerate(counts):
        conversation_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        created = now - (conversations - index) * 3600.0
        parent: int | None = None
        for number in range(count):
            role = "user" if number % 2 == 0 else "assistant"
            length = rng.randint(8, 30) if role == "user" else rng.randint(30, 120)
            text = " ".join(rng.choices(words, cum_weights=cumulative, k=length))
            assistant = role == "assistant"
            message_rows.append(
                (
                    next_id,
                    conversation_id,
                    parent,
                    role,
                    text,
                    "complete",
                    created + number,
                    "org/model" if assistant else None,
                    "toki" if assistant else None,
                    '{"temperature":0.7}' if assistant else None,
                    '{"prompt_tokens":120,"completion_tokens":80}' if assistant else None,
                    0.4 if assistant else None,
                    2.5 if assistant else None,
                    "stop" if assistant else None,
                )
            )
            parent = next_id
            next_id += 1
        title = " ".join(rng.choices(words, cum_weights=cumulative, k=5))
        conversation_rows.append(
            (conversation_id, title, created, created + count, "toki", "org/model", '{"temperature":0.7}', parent)
        )
    connection.executemany(
        "INSERT INTO conversations (id, title, created_at, updated_at, endpoint, model, params, current_leaf_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        conversation_rows,
    )
    connection.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, model, endpoint, "
        "params, usage, ttft, duration, finish_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message_rows,
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return time.perf_counter() - started


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm: the first call pays for reading pages from disk into the cache
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def pick_words(store: HistoryStore) -> tuple[str, str, str]:
    """The rarest word, the most common word and the most common 3-letter prefix in the generated text."""
    connection = sqlite3.connect(store.path)
    with contextlib.closing(connection):
        connection.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, messages_fts, row)")
        common = connection.execute("SELECT term FROM temp.vocab ORDER BY doc DESC LIMIT 1").fetchone()[0]
        common_prefix = connection.execute(
            "SELECT substr(term, 1, 3) AS prefix FROM temp.vocab WHERE length(term) >= 3 "
            "GROUP BY prefix ORDER BY sum(doc) DESC LIMIT 1"
        ).fetchone()[0]
        rare = connection.execute("SELECT term FROM temp.vocab ORDER BY doc, term LIMIT 1").fetchone()[0]
    return str(rare), str(common), str(common_prefix)


def measure(path: Path, runs: int, messages: int) -> None:
    started = time.perf_counter()
    store = HistoryStore(path)
    store.open()
    opened_ms = (time.perf_counter() - started) * 1000
    try:
        long_id = max(store.list_conversations(limit=10_000), key=lambda c: c.message_count).id
        rare, common, common_prefix = pick_words(store)
        newest, _ = store.latest_messages(long_id, 100)
        figures: list[tuple[str, float, str]] = [
            ("open the history (first open in this process)", opened_ms, ""),
            ("list the 50 most recent conversations", median_ms(lambda: store.list_conversations(50), runs), "<= 20"),
            (f"search the rarest word ({rare!r})", median_ms(lambda: store.search(rare), runs), "<= 100"),
            (f"search the most common word ({common!r})", median_ms(lambda: store.search(common), runs), "<= 100"),
            (
                f"search two words ({rare} {common})",
                median_ms(lambda: store.search(f"{rare} {common}"), runs),
                "<= 100",
            ),
            (f"search a prefix ({rare[:3]}...)", median_ms(lambda: store.search(rare[:3]), runs), "<= 100"),
            (
                f"search the most common prefix ({common_prefix}...)",
                median_ms(lambda: store.search(common_prefix), runs),
                "<= 100",
            ),
            (
                "newest 100 messages of the 5,000-message conversation",
                median_ms(lambda: store.latest_messages(long_id, 100), runs),
                "<= 30",
            ),
            ("the 100 above them", median_ms(lambda: store.older_messages(long_id, newest[0].id, 100), runs), ""),
            ("its whole 5,000-message branch", median_ms(lambda: store.branch(long_id), max(3, runs // 4)), ""),
        ]
        reply = store.start_reply(long_id, parent_id=newest[-1].id, model="org/model", endpoint="toki", params={})
        growing = ["word " * 200]  # a checkpoint rewrites the reply so far; grows 1 KB per run

        def checkpoint() -> None:
            growing[0] += "more " * 200
            store.checkpoint_reply(reply.id, content=growing[0])

        figures.append(("checkpoint write of a growing reply", median_ms(checkpoint, runs * 3), "<= 5"))
        size_kb = len(growing[0]) // 1024
        store.finish_reply(reply.id, content=growing[0], status="complete")
        figures.append(
            (
                "add a message (user turn)",
                median_ms(lambda: store.add_message(long_id, role="user", content="one more question"), runs),
                "",
            )
        )
    finally:
        store.close()
    size = sum(candidate.stat().st_size for candidate in path.parent.glob(path.name + "*"))
    print(f"\nfigures (median of {runs} runs; the checkpoint ends at a {size_kb} KB reply):")
    for label, value, target in figures:
        print(f"  {label:<58} {value:8.2f} ms   {('target ' + target + ' ms') if target else ''}")
    print(f"  {'file size':<58} {size / 1e6:8.1f} MB")
    print(f"  {'bytes stored per message (everything included)':<58} {size / messages:8.0f} B")


HUGE_MESSAGES = 5
HUGE_SIZE = 1_000_000


def measure_huge_messages(runs: int) -> None:
    """Searching a history that holds HUGE_MESSAGES messages of HUGE_SIZE characters, every one a hit: a word
    found everywhere, and a word found once at the very end of each (the snippet's worst case)."""
    rng = random.Random(11)
    words = vocabulary(2_000, rng)
    figures: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="toki-bench-huge-") as folder, HistoryStore(Path(folder) / "h.db") as store:
        conversation = store.create_conversation(endpoint="toki", model="org/model")
        for _ in range(HUGE_MESSAGES):
            lines: list[str] = []
            size = 0
            while size < HUGE_SIZE:
                line = "INFO " + " ".join(rng.choices(words, k=12)) + " database ok"
                lines.append(line)
                size += len(line) + 1
            lines.append("ERROR zyxwvut locked")
            store.add_message(conversation.id, role="user", content="\n".join(lines))
        for label, query in (
            ("a word found all through them ('database')", "database"),
            ("a word found once, at their end ('zyxwvut locked')", "zyxwvut locked"),
            ("a prefix found all through them ('datab...')", "datab"),
        ):
            figures.append((label, median_ms(lambda query=query: store.search(query), runs)))  # type: ignore[misc]
    print(f"\nsearch over {HUGE_MESSAGES} messages of {HUGE_SIZE / 1e6:.0f} MB (median of {runs} runs):")
    for label, value in figures:
        print(f"  {label:<58} {value:8.2f} ms   target <= 100 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder instead of a temporary one")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="toki-bench-store-") as temporary:
        folder = options.keep or Path(temporary)
        path = folder / "history.sqlite3"
        if not path.exists():
            seconds = generate(path, options.conversations, options.messages)
            print(
                f"generated {options.conversations:,} conversations, {options.messages:,} messages in {seconds:.1f} s"
            )
        with contextlib.closing(sqlite3.connect(path)) as connection:
            text_bytes = connection.execute("SELECT sum(length(CAST(content AS BLOB))) FROM messages").fetchone()[0]
            count = connection.execute("SELECT count(*) FROM messages").fetchone()[0]
        print(f"average message text: {text_bytes / count:.0f} bytes")
        measure(path, options.runs, count)
        measure_huge_messages(options.runs)


if __name__ == "__main__":
    main()
