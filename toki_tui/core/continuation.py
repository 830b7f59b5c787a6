"""Continuing a reply that was cut short (stopped, or cut at max_tokens): what counts as continuable, and how to
tell a server that continued it from one that ignored the partial reply and started its answer again."""

from __future__ import annotations

from typing import Any

CONTINUABLE_STATUSES = frozenset({"stopped", "length", "interrupted"})
"""Replies that ended before the model finished: the ones `/continue` can take up."""

RESTART_PROBE_CHARS = 40
"""How many characters (whitespace collapsed) of the continuation are compared with the start of the partial
reply. A real continuation almost never repeats 40 characters of its own opening; a server that drops the
trailing assistant message (many do: only some honour assistant prefill) starts with exactly them."""

RESTART_PROBE_MIN_CHARS = 8
"""A partial reply shorter than this ("The", "Sure") is too common an opening to tell a restart from a
continuation that happens to begin the same way: no note is given."""

RESTARTED_NOTE = "the server did not continue the reply; it started again (its new answer follows the partial one)"
"""Stored as the reply's note when the continuation repeated the partial reply's start."""


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def started_again(partial: str, continuation: str) -> bool:
    """Whether `continuation` begins with the first RESTART_PROBE_CHARS characters of `partial` (both with their
    whitespace collapsed): the server answered from scratch instead of continuing. A partial reply shorter than
    the probe is compared whole, one shorter than RESTART_PROBE_MIN_CHARS never counts."""
    start = _collapsed(partial)[:RESTART_PROBE_CHARS]
    if len(start) < RESTART_PROBE_MIN_CHARS:
        return False
    return _collapsed(continuation).startswith(start)


def added_usage(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    """The token counts of a continued reply: both requests' counts added, key by key, as its cost adds both
    parts' (a part without counts, such as a reply stopped before the server sent them, adds none)."""
    if first is None or second is None:
        return second if first is None else first
    added = dict(first)
    for name, value in second.items():
        earlier = added.get(name)
        both_counts = isinstance(value, int) and isinstance(earlier, int)
        added[name] = earlier + value if both_counts else value
    return added


def added_seconds(first: float | None, second: float | None) -> float | None:
    """The time both parts of a continued reply took (one of them when the other was not measured)."""
    if first is None or second is None:
        return second if first is None else first
    return first + second
