"""Marking the words a search matched in a message's rendered lines (the hit opened from the history list)."""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from toki_tui.core.store.search import SNIPPET_END, SNIPPET_START

MATCH_STYLE = Style(reverse=True, bold=True)
"""Reverse video: readable on every theme and under any colour reduction, as it swaps the text's own colours."""


def matched_words(snippet: str) -> tuple[str, ...]:
    """The words a search hit's snippet marks as matched, each once, longest first (so "cats" wins over "cat")."""
    pattern = re.escape(SNIPPET_START) + "(.+?)" + re.escape(SNIPPET_END)
    words = {word.strip().casefold() for word in re.findall(pattern, snippet)}
    return tuple(sorted((word for word in words if word), key=len, reverse=True))


def mark_words(segments: list[Segment], words: tuple[str, ...], style: Style = MATCH_STYLE) -> list[Segment]:
    """`segments` (one rendered line) with every case-insensitive occurrence of `words` styled by `style`."""
    text = "".join(segment.text for segment in segments)
    folded = text.casefold()
    if len(folded) != len(text):
        return segments  # case folding changed the length (ß -> ss): offsets would not line up
    spans: list[tuple[int, int]] = []
    for word in words:
        for found in re.finditer(re.escape(word), folded):
            if not any(start < found.end() and found.start() < end for start, end in spans):
                spans.append(found.span())
    if not spans:
        return segments
    # Segment.divide cuts at cells, not characters: a CJK character takes two.
    spans = [(cell_len(text[:start]), cell_len(text[:end])) for start, end in spans]
    cuts = sorted({offset for span in spans for offset in span} | {cell_len(text)})
    pieces = list(Segment.divide(segments, cuts))
    marked: list[Segment] = []
    for start, piece in zip([0, *cuts], pieces, strict=False):
        inside = any(span_start <= start < span_end for span_start, span_end in spans)
        marked.extend(Segment.apply_style(piece, post_style=style) if inside else piece)
    return marked
