"""The snippet of a search hit: a dozen words around the first match, the matching words marked.

FTS5's own snippet() scores every window of a message against every match, which grows with the square of the
message's size (figures: docs/performance.md). Here the text is scanned once
per query word, in linear time and in C (str.find, or one regular expression), and only a small window around
the first match is cut into words and marked, so the cost is a few milliseconds per megabyte.

The matching follows the FTS5 tokenizer (`unicode61 remove_diacritics 2`) closely enough for marking: case and
Latin diacritics are ignored ("cafe" marks "Café"), a word matches at the start of a token, whole unless it is the
prefix word of search-as-you-type. When no match is found in the text (a tokenizer subtlety), the snippet is the
start of the message: it still matched, and the user still sees what it is.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

SNIPPET_START = "«"
"""Put before each matching word in a SearchHit snippet."""
SNIPPET_END = "»"
"""Put after each matching word in a SearchHit snippet."""
ELLIPSIS = "…"

SNIPPET_WORDS = 12
"""Words in a snippet (as FTS5's snippet() gave): about one line in the history list."""
WORDS_BEFORE = 3
"""Of those, words shown before the first match, for context."""
SNIPPET_MAX_CHARS = 240
"""A snippet is cut to this length even when its words are long (a base64 blob, a minified line)."""
_WINDOW_BEFORE = 200
_WINDOW_AFTER = 600
"""Characters around the first match that are split into words: bounded, whatever the message's size."""
MAX_PROBES = 1_000
"""Matches inside a longer token ("ab" in "xabxab...") skipped before a word gives up: bounds the scan of a
pathological text at a thousand short searches."""

_TOKEN = re.compile(r"[^\W_]+")
"""A token as unicode61 sees it: a run of letters and digits (the underscore separates)."""
_LATIN_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))


@dataclass(frozen=True)
class _Word:
    pattern: re.Pattern[str]
    literal: str | None
    """The folded word when a plain find on the lowered text is enough (ASCII word and text)."""
    prefix: bool


def fold(text: str) -> str:
    """Lower case, Latin diacritics removed: "Café" -> "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).casefold()


@functools.cache
def _variants() -> dict[str, str]:
    """Each folded letter -> every Latin letter that folds to it, both cases (built once)."""
    table: dict[str, str] = {}
    for first, last in _LATIN_RANGES:
        for code in range(first, last + 1):
            character = chr(code)
            folded = fold(character)
            if len(folded) == 1:
                table[folded] = table.get(folded, "") + character
    return table


def _character_class(character: str) -> str:
    variants = {character, character.upper(), *_variants().get(character, "")}
    return "[" + "".join(re.escape(variant) for variant in sorted(variants)) + "]"


@functools.lru_cache(maxsize=64)
def _compile(token: str, prefix: bool) -> _Word:
    folded = fold(token)
    pattern = re.compile("".join(_character_class(character) for character in folded))
    return _Word(pattern, folded if folded.isascii() else None, prefix)


def query_words(text: str, prefix_last: bool) -> list[_Word]:
    """The tokens of what the user typed, as FTS5 reads them; the very last one a prefix if `prefix_last`."""
    tokens = _TOKEN.findall(text)
    return [_compile(token, prefix_last and number == len(tokens) - 1) for number, token in enumerate(tokens) if token]


def _is_token_start(text: str, position: int) -> bool:
    return position == 0 or not (text[position - 1].isalnum())


def _is_token_end(text: str, position: int) -> bool:
    return position >= len(text) or not text[position].isalnum()


def _first_match(text: str, lowered: str | None, word: _Word, start: int = 0) -> tuple[int, int] | None:
    """The first (start, end) of `word` at a token boundary, scanning from `start`."""
    position = start
    for _ in range(MAX_PROBES):
        if lowered is not None and word.literal is not None:
            found = lowered.find(word.literal, position)
            if found < 0:
                return None
            span = (found, found + len(word.literal))
        else:
            match = word.pattern.search(text, position)
            if match is None:
                return None
            span = match.span()
        if _is_token_start(text, span[0]) and (word.prefix or _is_token_end(text, span[1])):
            return span
        position = span[0] + 1
    return None


def _marked(window: str, words: Sequence[_Word]) -> str:
    lowered = window.lower() if window.isascii() else None
    spans: list[tuple[int, int]] = []
    for word in words:
        position = 0
        while (span := _first_match(window, lowered, word, position)) is not None:
            spans.append(span)
            position = span[1]
    parts: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor:
            continue  # overlaps a word already marked
        parts += [window[cursor:start], SNIPPET_START, window[start:end], SNIPPET_END]
        cursor = end
    parts.append(window[cursor:])
    return "".join(parts)


def make_snippet(text: str, words: Sequence[_Word]) -> str:
    """About SNIPPET_WORDS words of `text` around the first match of any of `words`, matches marked, one line."""
    lowered = text.lower() if text.isascii() else None
    anchors = [span[0] for word in words if (span := _first_match(text, lowered, word)) is not None]
    anchor = min(anchors, default=0)
    window_start = max(0, anchor - _WINDOW_BEFORE)
    region = text[window_start : anchor + _WINDOW_AFTER]
    tokens = list(re.finditer(r"\S+", region))
    if not tokens:
        return ""
    relative = anchor - window_start
    at = next((number for number, token in enumerate(tokens) if token.end() > relative), len(tokens) - 1)
    # The first word of a region that starts mid-text may be cut: it is never shown.
    earliest = 1 if window_start > 0 and len(tokens) > 1 else 0
    first = max(earliest, at - WORDS_BEFORE)
    last = min(len(tokens), first + SNIPPET_WORDS)
    start, end = tokens[first].start(), tokens[last - 1].end()
    if end - start > SNIPPET_MAX_CHARS:
        start = max(start, relative - SNIPPET_MAX_CHARS // 4)
        end = start + SNIPPET_MAX_CHARS
    shown = " ".join(_marked(region[start:end], words).split())
    head = ELLIPSIS if window_start + start > 0 else ""
    tail = ELLIPSIS if window_start + end < len(text) else ""
    return head + shown + tail


SUBSTRING_CONTEXT = 40
"""Characters shown before a substring hit; the snippet is at most SNIPPET_MAX_CHARS long."""


def make_substring_snippet(text: str, needles: Sequence[str]) -> str:
    """A snippet around the first occurrence of any of `needles` inside `text`, wherever it falls (not only at
    word boundaries: scripts written without spaces have none), each occurrence marked, one line. Linear in the
    size of `text`, like make_snippet."""
    lowered = text.lower()
    wanted = [needle.lower() for needle in needles if needle]
    found = [position for needle in wanted if (position := lowered.find(needle)) >= 0]
    anchor = min(found, default=0)
    start = max(0, anchor - SUBSTRING_CONTEXT)
    end = min(len(text), start + SNIPPET_MAX_CHARS)
    region, lowered_region = text[start:end], lowered[start:end]
    marks = sorted(
        (position, position + len(needle)) for needle in wanted for position in _occurrences(lowered_region, needle)
    )
    pieces, cursor = [], 0
    for begin, finish in marks:
        if begin < cursor:
            continue  # overlaps the previous mark
        pieces += [region[cursor:begin], SNIPPET_START, region[begin:finish], SNIPPET_END]
        cursor = finish
    pieces.append(region[cursor:])
    shown = " ".join("".join(pieces).split())
    return (ELLIPSIS if start > 0 else "") + shown + (ELLIPSIS if end < len(text) else "")


def _occurrences(text: str, needle: str) -> list[int]:
    positions, position = [], text.find(needle)
    while position >= 0:
        positions.append(position)
        position = text.find(needle, position + len(needle))
    return positions
