"""What the reply actions cost where the user waits: pretty-printing a JSON reply at its end (on the event loop,
once), finding code blocks for /copy code, and marking a search hit's words in a rendered line (per painted line
of the one message marked).

    python -m tests.benchmarks.bench_reply_tools [--runs N]

Prints the median time of each, in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from rich.segment import Segment

from toki_tui.core.code_blocks import code_blocks
from toki_tui.core.json_reply import PRETTY_JSON_MAX_CHARS, pretty_json
from toki_tui.ui.search_marks import mark_words


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def json_of_size(chars: int) -> str:
    item = {"id": 1, "name": "toki", "tags": ["a", "b", "c"], "score": 0.5, "note": "x" * 40}
    count = max(1, chars // len(json.dumps(item)))
    return json.dumps({"items": [dict(item, id=n) for n in range(count)]}, separators=(",", ":"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    for size in (10_000, 100_000, PRETTY_JSON_MAX_CHARS, 1_000_000):
        text = json_of_size(size)
        over = "  (over the cap: shown as it came)" if len(text) > PRETTY_JSON_MAX_CHARS else ""
        took = median_ms(lambda text=text: pretty_json(text), runs)
        print(f"pretty_json {len(text):>9,} chars: {took:8.2f} ms{over}")
    reply = "\n\n".join(f"Step {n}:\n\n```python\nprint({n})\n" + "x = 1\n" * 30 + "```" for n in range(50))
    print(f"code_blocks {len(reply):>9,} chars, 50 blocks: {median_ms(lambda: code_blocks(reply), runs):8.2f} ms")
    line = [Segment("The quick brown fox jumps over "), Segment("the lazy dog " * 8)]
    print(f"mark_words one 130-cell line: {median_ms(lambda: mark_words(line, ('fox', 'dog')), runs * 100):8.3f} ms")


if __name__ == "__main__":
    main()
