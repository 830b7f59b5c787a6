"""`json.loads` for text from outside (the server, the model cache) with a bound on nesting depth and no lone
surrogates.

Python's json parser recurses once per nesting level: `[[[[…]]]]` 100,000 deep raises RecursionError, which no
caller expects, and a value a few hundred deep parses but can exhaust the stack later (json.dumps for an error
message, repr). So: RecursionError becomes JSONTooDeepError (a ValueError, like any other bad JSON), and a value
that parsed is refused when it is deeper than MAX_JSON_DEPTH.

JSON can also spell half of a UTF-16 pair alone (`"\\ud800"`), which Python decodes to a lone surrogate: no UTF-8
encoder takes it, so storing or printing such a reply failed. Lone surrogates become U+FFFD.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

MAX_JSON_DEPTH = 128
"""Real replies and model lists nest fewer than 10 levels; 128 leaves room for odd servers and tool arguments
while staying far below Python's recursion limit (1,000), so nothing done with the value later can overflow."""


# A `\ud800`-`\udfff` escape: only text holding one can decode to a lone surrogate (pairs decode to one character).
_SURROGATE_ESCAPE_TEXT = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
    escape = _SURROGATE_ESCAPE_TEXT if isinstance(data, str) else _SURROGATE_ESCAPE_BYTES
    if escape.search(data) is not None:  # type: ignore[arg-type]
        return _without_lone_surrogates(value)
    return value


def _repaired(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _without_lone_surrogates(value: object) -> object:
    """`value` with every string (keys too) free of lone surrogates; containers are repaired in place, without
    recursion (the value may be up to MAX_JSON_DEPTH deep)."""
    if isinstance(value, str):
        return _repaired(value)
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, str):
                    item[index] = _repaired(child)
                elif isinstance(child, dict | list):
                    stack.append(child)
        elif isinstance(item, dict):
            for key, child in list(item.items()):
                if isinstance(child, str):
                    child = _repaired(child)
                elif isinstance(child, dict | list):
                    stack.append(child)
                fixed_key = _repaired(key)
                if fixed_key != key:
                    del item[key]
                item[fixed_key] = child
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
