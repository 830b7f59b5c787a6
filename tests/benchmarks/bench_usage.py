"""`toki usage` at scale: the history's sums over 500,000 messages (250,000 replies), and the upgrade to version 4.

    python -m tests.benchmarks.bench_usage [--messages N] [--runs N] [--keep DIR]

Generates the history (tests/usage_history.py: 2,500 conversations, three models, 60 days), then times through
the public HistoryStore API, median of several runs: the sums per model, per day and per conversation over the
whole history and over the last 7 days, today's total (what the budget reads after each reply), one
conversation's total (the status line), and the whole `toki usage --json` command as a subprocess. Then builds
the same history at schema version 3 (no cost columns) and times the open that migrates it to the current version
(the backup copy, the token columns filled from `usage`, the index built, and built again with `cost_source` by
version 5).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.usage_history import generate_usage_history
from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.core.store.usage import start_of_day


def timed(call: Callable[[], object], runs: int) -> float:
    """The median time of `runs` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def generate_version_3(path: Path, messages: int, seed: int = 5) -> None:
    """The same shape of history as a version 3 file: replies with `usage` and no cost columns."""
    rng = random.Random(seed)
    now = time.time()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for statement in store_schema.SCHEMA_V1 + store_schema.SCHEMA_V2 + store_schema.SCHEMA_V3:
            connection.execute(statement)
        connection.execute("BEGIN")
        conversations = max(1, messages // 200)
        ids = [f"{number:032x}" for number in range(1, conversations + 1)]
        connection.executemany(
            "INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)", [(i, now, now) for i in ids]
        )
        rows = []
        for index in range(messages // 2):
            created = now - rng.random() * 60 * 86_400
            usage = json.dumps({"prompt_tokens": rng.randint(10, 4_000), "completion_tokens": rng.randint(1, 2_000)})
            rows.append((ids[index % conversations], "user", "question", created, None, None))
            rows.append((ids[index % conversations], "assistant", "answer", created + 1, "m", usage))
        connection.executemany(
            "INSERT INTO messages (conversation_id, role, content, created_at, model, usage) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA user_version = 3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the histories in this folder and keep them")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="toki-bench-usage-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "history.sqlite3"
    path.unlink(missing_ok=True)

    start = time.perf_counter()
    generate_usage_history(path, options.messages)
    print(f"generated {options.messages:,} messages in {time.perf_counter() - start:.1f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)")  # fmt: skip
    week = time.time() - 7 * 86_400
    with HistoryStore(path) as store:
        conversation = store.usage("conversation")[0].key
        cases: list[tuple[str, Callable[[], object]]] = [
            ("by model, all", lambda: store.usage("model")),
            ("by model, 7 days", lambda: store.usage("model", week)),
            ("by day, all", lambda: store.usage("day")),
            ("by day, 7 days", lambda: store.usage("day", week)),
            ("by conversation, all", lambda: store.usage("conversation")),
            ("by conversation, 7 days", lambda: store.usage("conversation", week)),
            ("total today (budget)", lambda: store.usage_total(start_of_day())),
            ("one conversation (status line)", lambda: store.usage_total(conversation_id=conversation)),
        ]
        for label, call in cases:
            print(f"{label:34} {timed(call, options.runs):8.1f} ms")

    env = {**os.environ, "TOKI_DATA_DIR": str(folder), "TOKI_CONFIG_DIR": str(folder / "config")}
    command = [sys.executable, "-m", "toki_tui", "usage", "--json"]
    elapsed = timed(lambda: subprocess.run(command, env=env, capture_output=True, check=True), options.runs)
    print(f"{'toki usage --json (whole command)':34} {elapsed:8.1f} ms")

    old = folder / "history-v3.sqlite3"
    old.unlink(missing_ok=True)
    generate_version_3(old, options.messages)
    start = time.perf_counter()
    with HistoryStore(old) as store:
        migrated = time.perf_counter() - start
        total = store.usage_total()
    print(f"{f'open + migrate version 3 to {store_schema.SCHEMA_VERSION}':34} {migrated * 1000:8.1f} ms "
          f"({total.replies:,} replies, {total.prompt_tokens:,} prompt tokens kept, all unpriced)")  # fmt: skip


if __name__ == "__main__":
    main()
