"""The hostile corpus: strings an attacker can put anywhere toki shows outside text, and the checks that none of
them has an effect. Shared by the app's and the command line's tests; a new surface that shows outside text gets
this corpus in its test."""

from __future__ import annotations

import json
import re

from toki_tui.core.text import BIDI_CONTROLS

INVISIBLE_CHARACTERS = frozenset("\u200b\u200d\ufeff\u2060" + "".join(chr(0xE0000 + ord(c)) for c in "tag"))

OSC52_CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"
OSC8_LINK = "\x1b]8;;https://evil.example/\x1b\\innocent\x1b]8;;\x1b\\"
OSC_TITLE = "\x1b]0;pwned title\x07\x1b]2;pwned title\x1b\\"
CSI_SCREEN = "\x1b[2J\x1b[?1049l\x1b[?25l\x1b[?7l"
C1_CONTROLS = "\x9b2J\x9d0;c1 title\x9c\x85"
BIDI = "\u202eevil\u202c \u2066isolated\u2069"
MARKUP_CLOSE = "x[/]y"
MARKUP_CLICK = "[@click=app.screenshot('/tmp/toki-pwned.svg')]click me[/]"
MARKUP_LINK = "[link=https://evil.example]link[/link]"
MARKUP_STYLE = "[b red on white]loud"
LONE_SURROGATE = "\ud800lone"
CONTROLS = "nul\x00 bel\x07 bs\x08 del\x7f"
INVISIBLE = "gpt\u200b-4 \ufeffbom \u2060wj zw\u200dj " + "".join(chr(0xE0000 + ord(c)) for c in "tag")
"""Characters that are not drawn: a zero-width space, a BOM, a word joiner, a joiner between ASCII letters and
Unicode tag characters."""

PIECES = (
    OSC52_CLIPBOARD,
    OSC8_LINK,
    OSC_TITLE,
    CSI_SCREEN,
    C1_CONTROLS,
    BIDI,
    MARKUP_CLOSE,
    MARKUP_CLICK,
    MARKUP_LINK,
    MARKUP_STYLE,
    LONE_SURROGATE,
    CONTROLS,
    INVISIBLE,
)

HOSTILE = "hostile " + " ".join(PIECES) + " end"
"""Every piece on one line: the form a title, a model id or an error message takes."""

HOSTILE_LONG_LINE = "h" * 10_000 + MARKUP_CLOSE
"""A 10,000-character line: a list row or a notification must stay usable."""

HOSTILE_TEXT = "\n\n".join([HOSTILE, *PIECES, HOSTILE_LONG_LINE, "```\n" + HOSTILE + "\n```"])
"""A multi-line form for message bodies: each piece also on a paragraph of its own and in a code block."""


def storable(text: str) -> str:
    """`text` without its lone surrogates: SQLite stores UTF-8, which cannot hold them, so a history (written by
    any version of toki or by hand) never has them; text from a server or a pipe can."""
    return text.replace(LONE_SURROGATE, "lone")


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: JSON's escapes, except that TOML takes neither surrogate pairs (so the
    text is written as it is) nor a raw DEL."""
    return json.dumps(storable(text), ensure_ascii=False).replace("\x7f", "\\u007f")


LITERAL_MARKERS = (MARKUP_CLOSE, "click me[/]", "[link=https://evil.example]")
"""Text that is only on screen if the markup was shown, not parsed."""

# Textual's own output: SGR colours and cursor positioning. Anything else starting with ESC came from the text.
_TEXTUAL_CSI = re.compile(r"\x1b\[[0-9;:]*[mH]")
_C1 = re.compile("[\x80-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
HOSTILE_ACTIONS = ("screenshot", "bell", "quit")


def assert_inert(terminal_output: str) -> None:
    """`terminal_output` (what would be written to the terminal) holds nothing from the corpus that acts."""
    rest = _TEXTUAL_CSI.sub("", terminal_output)
    assert "\x1b" not in rest, f"an escape sequence reached the terminal: {rest[rest.index(chr(27)) :][:40]!r}"
    assert _C1.search(rest) is None, "a C1 control reached the terminal"
    assert not BIDI_CONTROLS.intersection(rest), "a bidi override reached the terminal"
    assert _SURROGATE.search(rest) is None, "a lone surrogate reached the terminal"
    assert not INVISIBLE_CHARACTERS.intersection(rest), "an invisible character reached the terminal"
    assert "\x07" not in rest and "\x00" not in rest and "\x08" not in rest and "\x7f" not in rest
