"""Make untrusted text (model output, server error messages) safe to put on a terminal.

Model output may contain terminal escape sequences (an OSC 52 sequence writes the user's clipboard, OSC 8 makes
deceptive links, CSI sequences move the cursor or recolour the screen) and Rich markup (`[bold red]`). Neither
may take effect: complete escape sequences are removed, every other control character except newline and tab is
replaced by a visible stand-in, and text only ever reaches Rich as a `Text` object, which never parses markup.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

# Complete escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms. String sequences (OSC, DCS, SOS, PM, APC)
# run to their terminator (BEL or ST); their payload must not stay behind as text, since for OSC 52 it is the
# clipboard content the model tried to plant.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]                     # CSI: cursor moves, colours, modes
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)   # OSC/DCS/SOS/PM/APC
    | \x1b [ -/]* [0-OQ-WYZ\\`-~]                     # other ESC sequences (charset, keypad, RIS)
    """,
    re.VERBOSE,
)

# Control characters left after removing sequences: C0 except \t and \n, DEL, C1, and the Unicode line and
# paragraph separators (which some terminals treat as newlines and Rich measures as zero width).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _visible_stand_in(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture": ␛ for ESC, ␇ for BEL
    if code == 0x7F:
        return "\u2421"  # ␡
    if char in "\u2028\u2029":
        return "\n"
    return "\ufffd"  # C1 controls have no pictures


def sanitize(text: str) -> str:
    """Return `text` with no terminal control effect: sequences removed, stray controls made visible.

    CRLF and lone CR become LF (a bare CR would let text overwrite itself on some terminals).
    """
    if text.isprintable():  # the common case: no work beyond one C-level scan
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub(_visible_stand_in, text)


def safe_text(text: str, style: str | Style = "") -> Text:
    """A Rich `Text` of untrusted `text`: sanitized, and never parsed as markup."""
    return Text(sanitize(text), style=style)


# The longest escape sequence held back while waiting for its end; longer ones are released (made harmless by
# `sanitize`) so that a stream that never terminates a sequence cannot hide the rest of the reply.
_MAX_HELD = 4096
_SEQUENCE_START = re.compile(r"[\x1b\x90\x98\x9b\x9d\x9e\x9f]")


class StreamSanitizer:
    """`sanitize` for text that arrives in pieces.

    A piece may end in the middle of an escape sequence or between CR and LF; sanitizing each piece alone would
    leave the sequence's tail behind as text, or turn CRLF into two newlines. The unfinished end is held back
    until the next piece (or `flush()` at the end of the stream).
    """

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        data = self._held + text
        self._held = ""
        cut = len(data)
        if data.endswith("\r"):
            cut -= 1
        starts = [m.start() for m in _SEQUENCE_START.finditer(data, max(0, len(data) - _MAX_HELD))]
        if starts and _ESCAPE_SEQUENCE.match(data, starts[-1]) is None:
            # No complete sequence starts at the last introducer: it may still be arriving.
            cut = min(cut, starts[-1])
        self._held = data[cut:]
        return sanitize(data[:cut])

    def flush(self) -> str:
        held, self._held = self._held, ""
        return sanitize(held)
