"""Reading one stored value whatever is in the column, and the limits every stored value must respect.

A history file may hold values this toki never writes: rows from an older version, from another tool, or edited
by hand (a time of 1e300, 'NaN' as text in a number column, JSON of the wrong shape). SQLite keeps whatever it is
given, so the readers here never trust a column's declared type: each returns a value of the record's type, the
stored one where it makes sense, a neutral one where it does not, so a bad row is shown as best it can be and
never crashes a screen or a command.
"""

from __future__ import annotations

import json
import math
from typing import Any

EARLIEST_TIME = 0.0
"""1970-01-01: the epoch. Earlier times cannot come from toki or ChatGPT and some platforms refuse to format them."""
LATEST_TIME = 253_402_300_799.0
"""9999-12-31 23:59:59 UTC: the last second `time.strftime` can write with a four-digit year; later ones (1e300)
overflow the C library's time conversion."""

MAX_JSON_DEPTH = 32
"""Nesting allowed in stored JSON (params, usage, tool calls): real ones nest 3 or 4 deep; far deeper ones would
make later copying and printing recurse until Python gives up."""


def is_sane_time(value: object) -> bool:
    """A number of seconds since the epoch that every formatter accepts (finite, 1970..9999)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and EARLIEST_TIME <= value <= LATEST_TIME
    )


def read_time(value: object) -> float:
    """A stored time, or the epoch when the column holds something that is not a sane time."""
    number = read_float(value)
    return number if number is not None and is_sane_time(number) else EARLIEST_TIME


def read_float(value: object) -> float | None:
    """A finite number from a number column (text holding a number is accepted), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | bytes):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        return None
    return number if math.isfinite(number) else None


def read_int(value: object, default: int | None) -> int | None:
    """An integer column's value; anything else (text, a fraction, NULL) gives `default`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def read_text(value: object) -> str:
    """A text column's value as text; a number is written out, a blob decoded leniently, NULL is empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def read_optional_text(value: object) -> str | None:
    return None if value is None else read_text(value)


def json_depth_exceeds(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests containers more than `limit` deep (checked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(text: object) -> object:
    """A JSON column decoded, or None when it holds no valid (or too deeply nested) JSON."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return None if json_depth_exceeds(value) else value


def usage_ints(value: object) -> dict[str, Any] | None:
    """Token usage as the screens read it: only the counts that are whole numbers are kept."""
    if not isinstance(value, dict):
        return None
    counts = {
        str(name): count for name, count in value.items() if isinstance(count, int) and not isinstance(count, bool)
    }
    return counts or None
