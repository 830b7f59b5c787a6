"""Text from outside made storable: no lone surrogates.

Python hands over bytes that are not UTF-8 as lone surrogates: argv and (in UTF-8 mode) stdin decode with
`surrogateescape`, and JSON's "\\ud800" escape decodes to one. SQLite and every UTF-8 encoder refuse them
(UnicodeEncodeError), so they are turned into U+FFFD REPLACEMENT CHARACTER before text is stored or printed: the
rest of the text is kept, and the bad bytes stay visible as such.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_ESCAPED_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
"""Surrogates that surrogateescape never makes (it maps byte 0xXY to U+DCXY, XY >= 80)."""


def decode_lossy(data: bytes) -> str:
    """UTF-8 bytes as text, each invalid byte sequence replaced by U+FFFD."""
    return data.decode("utf-8", "replace")


def without_surrogates(text: str) -> str:
    """`text` with bytes smuggled in as surrogates (surrogateescape) decoded as UTF-8 where they form valid
    sequences, and every other lone surrogate replaced by U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    text = _NOT_ESCAPED_BYTE.sub("\ufffd", text)
    return decode_lossy(text.encode("utf-8", "surrogateescape"))
