"""A reply asked for as JSON, shown pretty-printed: parsed once, when the reply is complete.

Pure and bounded: a reply that is not one JSON value (prose around it, a cut-off object) is shown as it came.
"""

from __future__ import annotations

import json

PRETTY_JSON_MAX_CHARS = 200_000
"""Longer replies are shown as they came. Pretty-printing runs on the event loop, once, when the reply ends (and
when its message is shown again): ~15 ms per 100,000 characters (tests/benchmarks/bench_reply_tools.py), so this
bounds the pause to a couple of frames; a reply this long is not read whole anyway."""


def pretty_json(text: str) -> str | None:
    """`text` indented by 2 if it is exactly one JSON value (an object or an array), else None."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{" or len(stripped) > PRETTY_JSON_MAX_CHARS:
        return None
    try:
        return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's stack allows
        return None
