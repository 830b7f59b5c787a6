"""A generated history for `toki usage`: conversations of question/reply pairs over several models and days, with
known sums, so the aggregates can be checked against sums computed here in Python (tests/core/test_usage.py) and
timed at 500,000 messages (tests/benchmarks/bench_usage.py).

Replies are written through SQL in one transaction (the store's triggers stay on), with the columns finish_reply
writes. About one reply in ten has no cost (an unpriced model), one in twenty failed before any byte (no usage,
status "error": free), and the rest are priced.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from toki_tui.core.store.history_store import HistoryStore

MODELS = ("deepseek/deepseek-chat-v3", "openai/gpt-4o-mini", "openrouter/auto")
UNPRICED_MODEL = "openrouter/auto"
DAY = 86_400.0


@dataclass
class Expected:
    """Sums per model computed while generating: (replies, prompt, completion, priced cost, unpriced replies)."""

    by_model: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0.0, 0]))
    since_cut: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0.0, 0]))
    cut: float = 0.0
    """The time `since_cut` counts from."""


def _add(sums: list[float], prompt: int | None, completion: int | None, cost: float | None, unpriced: bool) -> None:
    sums[0] += 1
    sums[1] += prompt or 0
    sums[2] += completion or 0
    sums[3] += cost or 0.0
    sums[4] += int(unpriced)


def generate_usage_history(
    path: Path,
    messages: int,
    *,
    conversations: int | None = None,
    days: int = 60,
    now: float | None = None,
    seed: int = 3,
) -> Expected:
    """A history of `messages` messages (half of them replies) spread over `days` days before `now`."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    conversations = conversations or max(1, messages // 200)
    expected = Expected(cut=now - 7 * DAY)
    with HistoryStore(path):
        pass  # creates the file at the current schema version
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN")
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(conversations)]
    connection.executemany(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [(conversation_id, f"talk {number}", now, now) for number, conversation_id in enumerate(ids)],
    )
    rows = []
    for index in range(messages // 2):
        conversation_id = ids[index % conversations]
        created = now - rng.random() * days * DAY
        model = MODELS[index % len(MODELS)] if index % 10 else UNPRICED_MODEL
        rows.append((conversation_id, "user", "question", "complete", created, None, None, None, None, None, None))
        if index % 20 == 7:  # failed before the first byte: no usage, free
            prompt = completion = None
            status, cost, usage = "error", None, None
        else:
            prompt, completion = rng.randint(10, 4_000), rng.randint(1, 2_000)
            status = "complete"
            usage = json.dumps({"prompt_tokens": prompt, "completion_tokens": completion})
            cost = None if model == UNPRICED_MODEL else round((prompt * 0.27 + completion * 1.1) / 1e6, 10)
        unpriced = cost is None and status != "error"
        price = None if cost is None else '{"input_per_million":0.27,"output_per_million":1.1,"source":"server"}'
        rows.append(
            (conversation_id, "assistant", "answer", status, created + 1, model, usage, prompt, completion, cost, price)
        )
        _add(expected.by_model[model], prompt, completion, cost, unpriced)
        if created + 1 >= expected.cut:
            _add(expected.since_cut[model], prompt, completion, cost, unpriced)
    connection.executemany(
        "INSERT INTO messages (conversation_id, role, content, status, created_at, model, usage, prompt_tokens, "
        "completion_tokens, cost_estimate, price) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.execute("COMMIT")
    connection.close()
    return expected
