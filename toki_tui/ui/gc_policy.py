"""When the cyclic garbage of a long session is collected: between turns, after the reply's last frame.

The TUI raises the collector's thresholds at start (cli/tui.py, tune_garbage_collector) so that full collections
(long, with a window of long messages mounted) no longer land in the middle of a stream. With those thresholds a
full collection would come only after hundreds of turns, and each turn leaves thousands of objects of cyclic
garbage (mostly the style nodes Textual makes each time a message's styles are applied again), so a long session
would grow without bound. The chat screen therefore asks for a full collection once a reply has ended and its
last frame is drawn, when the user is reading, and only once the young generations have been collected since the
last one. Waiting for two such collections would halve their number but lengthen each pause and grow the session;
the shorter pause, while the user reads, is the less noticeable one. The figures behind these choices
(tests/benchmarks/bench_tui_start.py) are in docs/performance.md.

All of this (and the thresholds in cli/tui.py) assumes CPython's collector with three generations, where
generation 2 is the full one and the thresholds count allocations and young collections. CPython 3.14's
incremental collector keeps the same functions with other meanings, and other interpreters have their own
collectors: there the policy does nothing and the interpreter's own collector runs as it was set.
"""

from __future__ import annotations

import gc
import sys

INCREMENTAL_COLLECTOR_VERSION = (3, 14)
"""The first CPython whose collector is incremental (young and old generations; threshold 2 and count 2 no
longer mean what the policy reads them as)."""


def generational_collector() -> bool:
    """Whether the interpreter has the collector this policy was measured with: CPython before 3.14, three
    generations."""
    return (
        sys.implementation.name == "cpython"
        and sys.version_info[:2] < INCREMENTAL_COLLECTOR_VERSION
        and len(gc.get_threshold()) == 3
        and len(gc.get_count()) == 3
    )


YOUNG_COLLECTIONS_BEFORE_FULL = 1
"""Collections of generation 1 since the last full one (gc.get_count()[2]) that make a full one worth its pause."""


def collect_between_turns() -> bool:
    """Collect every generation if enough has been promoted since the last time; True if it did. Nothing (False)
    on a collector other than CPython's three-generation one."""
    if not generational_collector() or gc.get_count()[2] < YOUNG_COLLECTIONS_BEFORE_FULL:
        return False
    gc.collect()
    return True
