"""`json.loads` for text from outside (the server, the model cache) with a bound on nesting depth.

Python's json parser recurses once per nesting level: `[[[[…]]]]` 100,000 deep raises RecursionError, which no
caller expects, and a value a few hundred deep parses but can exhaust the stack later (json.dumps for an error
message, repr). So: RecursionError becomes JSONTooDeepError (a ValueError, like any other bad JSON), and a value
that parsed is refused when it is deeper than MAX_JSON_DEPTH.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MAX_JSON_DEPTH = 128
"""Real replies and model lists nest fewer than 10 levels; 128 leaves room for odd servers and tool arguments
while staying far below Python's recursion limit (1,000), so nothing done with the value later can overflow."""


class JSONTooDeepError(ValueError):
    """The JSON nests arrays/objects more deeply than toki reads."""

    def __init__(self) -> None:
        super().__init__(f"its JSON is nested more than {MAX_JSON_DEPTH} levels deep")


def loads(data: str | bytes) -> object:
    """Parse JSON; raises ValueError for bad JSON and JSONTooDeepError (a ValueError) for too deep JSON."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise JSONTooDeepError from None
    # Counting brackets is a fast C scan; only text with enough of them (rare: never a token chunk) pays for the
    # walk. Brackets inside strings count too, which only means walking a value that turns out to be shallow.
    if isinstance(value, dict | list) and _bracket_count(data) > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise JSONTooDeepError
    return value


def _bracket_count(data: str | bytes) -> int:
    if isinstance(data, str):
        return data.count("[") + data.count("{")
    return data.count(b"[") + data.count(b"{")


def _deeper_than(value: object, limit: int) -> bool:
    """Whether containers nest more than `limit` levels, walked without recursion."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children: Iterable[object] = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
