"""What the `‹ 2/3 ›` markers add to opening a conversation: the sibling positions of the whole tree (one query)
next to reading the newest page, for a conversation of N messages with a regenerated reply every 10 turns.

    python -m tests.benchmarks.bench_branch_open [--messages N] [--runs N]

Both run on the TUI's store thread, never on the event loop; the figure to watch is the positions' time at 5,000
messages against the page read's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.screens import history_loading


def median_ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = HistoryStore(Path(folder) / "history.sqlite3")
        store.open()
        conversation = store.create_conversation(endpoint="toki", model="m")
        for turn in range(args.messages // 2):
            question = store.add_message(conversation.id, role="user", content=f"question {turn} " * 20)
            if turn % 10 == 0:
                store.add_message(conversation.id, role="assistant", content="an earlier answer", parent_id=question.id)
            store.add_message(conversation.id, role="assistant", content=f"answer {turn} " * 200, parent_id=question.id)
        page = median_ms(lambda: store.latest_messages(conversation.id, limit=history_loading.MESSAGE_PAGE), args.runs)
        positions = median_ms(lambda: store.sibling_positions(conversation.id), args.runs)
        whole = median_ms(lambda: history_loading.load_conversation(store, conversation.id), args.runs)
        store.close()
    print(f"{args.messages:,} messages: newest page {page:.2f} ms, sibling positions {positions:.2f} ms,")
    print(f"opening with markers (load_conversation) {whole:.2f} ms")


if __name__ == "__main__":
    main()
