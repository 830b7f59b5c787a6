"""The one boundary that turns outside text into text that is safe to display.

Every string toki did not write itself is untrusted: model output, but also model ids, conversation titles,
imported files, file names, theme and config values and server error messages. Such a string is *displayed*,
never *interpreted*, whether it goes to the full-screen app or to a terminal through `toki ask`/`history`:

- complete escape sequences are removed with their payload (an OSC 52 sequence writes the user's clipboard, OSC 8
  forges links, OSC 0/2 retitle the window, CSI moves the cursor or recolours the screen, DCS talks to the
  terminal itself);
- every other control character except newline and tab becomes a visible stand-in (the Unicode "control pictures"
  for C0, U+FFFD for C1), so nothing is silently hidden;
- bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make text read in an order other
  than the one it is stored in ("Trojan Source"), become U+FFFD;
- characters that are not drawn at all (zero-width space, word joiner, invisible operators, a BOM inside text,
  the Mongolian vowel separator, Unicode "tag" characters) become U+FFFD: they can make two different model ids
  look alike or smuggle an instruction past the reader. The joiners ZWJ and ZWNJ stay between two characters
  they can join (emoji, Persian, the Indic scripts) and become U+FFFD anywhere else;
- lone surrogates (from undecodable bytes) become U+FFFD, since no terminal encoder can write them;
- CR and CRLF become LF (a bare CR lets text overwrite what the user already saw).

Markup is the other half of the rule and lives in the UI: the result of `displayable` reaches Rich and Textual only
as a `Text` or `Content` built from the plain string, never through a markup parser. This module is plain Python,
so the command line and the app share it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Complete escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms. String sequences (OSC, DCS, SOS, PM, APC)
# run to their terminator (BEL or ST); their payload must not stay behind as text, since for OSC 52 it is the
# clipboard content the sender tried to plant.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]                     # CSI: cursor moves, colours, modes
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)   # OSC/DCS/SOS/PM/APC
    | \x1b [ -/]* [0-OQ-WYZ\\`-~]                     # other ESC sequences (charset, keypad, RIS)
    """,
    re.VERBOSE,
)

# Characters that need any work at all: C0 except tab and newline, DEL, C1, the Unicode line and paragraph
# separators (some terminals treat them as newlines; Rich measures them as zero width), bidi overrides and
# isolates, invisible characters, and surrogates (only lone ones can occur in a Python str).
_INVISIBLE = "\u180e\u200b\u2060-\u2064\ufeff\U000e0000-\U000e007f"
_UNSAFE_CHARS = f"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff{_INVISIBLE}"
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")

# ZWJ and ZWNJ join (or keep apart) the characters on either side: emoji sequences, Persian, the Indic scripts.
# Between two such characters they stay; anywhere else they become U+FFFD like the other invisible characters
# ("gpt\u200d-4" must not pass for "gpt-4"). The check runs on text whose unsafe characters are already replaced,
# so a joinable character is anything but ASCII, space, a joiner and the stand-ins (U+FFFD, control pictures).
_JOINERS = "\u200c\u200d"
_JOINABLE = f"[^\x00-\x7f\\s{_UNSAFE_CHARS}{_JOINERS}\ufffd\u2400-\u2421]"
_STRAY_JOINER = re.compile(f"(?<!{_JOINABLE})[{_JOINERS}]|[{_JOINERS}](?!{_JOINABLE})")
_JOINABLE_CHAR = re.compile(_JOINABLE)
_NEEDS_WORK = re.compile(f"[{_UNSAFE_CHARS}{_JOINERS}]")

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible_stand_in(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture": ␛ for ESC, ␇ for BEL
    if code == 0x7F:
        return "\u2421"  # ␡
    if char in "\u2028\u2029":
        return "\n"
    return "\ufffd"  # C1 controls, bidi controls, invisible characters and lone surrogates have no pictures


def displayable(text: str) -> str:
    """`text` with no effect on a terminal and nothing hidden: see the module docstring for the rules.

    Plain text (the common case) is returned as it is after one C-level scan.
    """
    if _NEEDS_WORK.search(text) is None:
        return text
    return _STRAY_JOINER.sub("\ufffd", _without_controls(text))


def _without_controls(text: str) -> str:
    """`displayable` but for stray joiners: line endings, escape sequences and unsafe characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _UNSAFE.sub(_visible_stand_in, text)


_UNSAFE_OR_CR = re.compile(f"[{_UNSAFE_CHARS}\r]")


def exact_visible(text: str) -> str:
    """`text` for a confirmation (the command a tool call runs, an MCP call's arguments): like `displayable` no
    control acts on the terminal, but nothing is removed either, so what is confirmed is all that runs. An escape
    sequence shows as its characters (ESC as ␛, BEL as ␇) with its payload, a CR as ␍."""
    if _NEEDS_WORK.search(text) is None and "\r" not in text:
        return text
    return _STRAY_JOINER.sub("\ufffd", _UNSAFE_OR_CR.sub(_visible_stand_in, text))


def _json_escape(match: re.Match[str]) -> str:
    encoded = match.group().encode("utf-16-le", "surrogatepass")
    return "".join(f"\\u{int.from_bytes(encoded[i : i + 2], 'little'):04x}" for i in range(0, len(encoded), 2))


def terminal_json(value: Any, *, indent: int | None = 2) -> str:
    """`value` as JSON that is safe to print to a terminal and still lossless: ensure_ascii=False keeps text
    readable, but would let C1 controls (a one-byte CSI), DEL, bidi overrides, invisible characters and lone
    surrogates through raw; those are written as \\u escapes, as JSON already writes the C0 ones."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE.sub(_json_escape, _STRAY_JOINER.sub(_json_escape, text))


# The longest single-line string shown as it is (a model id, a title, a file name, a theme name); longer ones
# are cut with an ellipsis. A 10,000-character "title" must not make a list row or a notification unusable.
ONE_LINE_LIMIT = 300


def displayable_line(text: str, limit: int = ONE_LINE_LIMIT) -> str:
    """`displayable(text)` for a place that holds one line: line breaks and tabs become spaces, and text longer
    than `limit` characters is cut with an ellipsis."""
    clean = displayable(text)
    if "\n" in clean or "\t" in clean:
        clean = clean.replace("\n", " ").replace("\t", " ")
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return clean


# The longest escape sequence held back while waiting for its end; longer ones are released (made harmless by
# `displayable`) so that a stream that never terminates a sequence cannot hide the rest of the reply.
_MAX_HELD = 4096
_SEQUENCE_START = re.compile(r"[\x1b\x90\x98\x9b\x9d\x9e\x9f]")


def _splits_a_join(text: str, cut: int) -> bool:
    """Whether cutting `text` at `cut` could change a joiner's fate: a joiner and a character that is not one on
    either side of the cut, or, at the end, a joiner or a character a joiner could follow. (Between two joiners
    is safe: a joiner next to a joiner is stray either way.)"""
    before = text[cut - 1]
    if cut == len(text):
        return before in _JOINERS or _JOINABLE_CHAR.fullmatch(before) is not None
    return (before in _JOINERS) != (text[cut] in _JOINERS)


class StreamSanitizer:
    """`displayable` for text that arrives in pieces.

    A piece may end in the middle of an escape sequence or between CR and LF; sanitizing each piece alone would
    leave the sequence's tail behind as text, or turn CRLF into two newlines. A joiner's fate depends on the
    characters on both sides of it, which may arrive in different pieces. The unfinished end is held back until
    the next piece (or `flush()` at the end of the stream): in two stages, the raw text (escape sequences, CR)
    and then the cleaned text (joiners).
    """

    def __init__(self) -> None:
        self._held = ""
        self._cleaned = ""

    def feed(self, text: str) -> str:
        data = self._held + text if self._held else text
        cut = len(data)
        if data.endswith("\r"):
            cut -= 1
        starts = [m.start() for m in _SEQUENCE_START.finditer(data, max(0, len(data) - _MAX_HELD))]
        if starts and _ESCAPE_SEQUENCE.match(data, starts[-1]) is None:
            # No complete sequence starts at the last introducer: it may still be arriving.
            cut = min(cut, starts[-1])
        self._held = data[cut:]
        return self._joined(_without_controls(data[:cut]) if cut else "", final=False)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return self._joined(_without_controls(held), final=True)

    def _joined(self, cleaned: str, *, final: bool) -> str:
        text = self._cleaned + cleaned if self._cleaned else cleaned
        cut = len(text)
        if not final:
            while cut and len(text) - cut < _MAX_HELD and _splits_a_join(text, cut):
                cut -= 1
        self._cleaned = text[cut:]
        return _STRAY_JOINER.sub("\ufffd", text[:cut])
