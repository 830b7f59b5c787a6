"""When the cyclic garbage of a long session is collected: between turns, after the reply's last frame.

The TUI raises the collector's thresholds at start (cli/tui.py, tune_garbage_collector) so that full collections
(80-200 ms with a window of long messages mounted) no longer land in the middle of a stream. With those
thresholds a full collection would come only after ~250 turns, and a turn leaves ~4,500 objects of cyclic garbage
(mostly the style nodes Textual makes each time a message's styles are applied again): 200 turns grew by
~100 MB (tests/benchmarks/bench_tui_start.py). So the chat screen asks for a full collection once a reply has
ended and its last frame is drawn, when the user is reading, and only once the young generations have been
collected since the last one: about every fifth 2,000-token turn, a pause of ~65 ms (at most ~85) at 200 turns.
Waiting for two such collections halved their number but made each pause longer (median ~85 ms, up to 130) and
the session ~12 MB bigger; the shorter pause, while the user reads, is the less noticeable one.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTIONS_BEFORE_FULL = 1
"""Collections of generation 1 since the last full one (gc.get_count()[2]) that make a full one worth its pause."""


def collect_between_turns() -> bool:
    """Collect every generation if enough has been promoted since the last time; True if it did."""
    if gc.get_count()[2] < YOUNG_COLLECTIONS_BEFORE_FULL:
        return False
    gc.collect()
    return True
