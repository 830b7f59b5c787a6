"""Filtering and ranking the model picker's list, fast enough for 200,000 ids (a keystroke well under 50 ms).

The filter is fuzzy: the query's characters must appear in the id (or the model's name) in order, ignoring case.
The costly part runs in C: one compiled regular expression per query, applied with `map` and
`itertools.compress` over lowercased ids kept sorted by length, so the first matches are already the shortest.
Only a bounded number of candidates is scored in Python (substring matches first), and only the rows shown
are highlighted. Typing forward only searches the previous query's matches.

Nothing here parses markup: ids are outside text, and the highlight is a list of plain offsets.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, islice, repeat

from toki_tui.core.api.model_info import ModelInfo

MAX_SHOWN = 100
"""Rows the picker shows for a query: three screens of choices, more than anyone reads before typing another
character. Each row costs the option list ~0.15 ms to lay out, so 100 keeps a keystroke under 50 ms at 200,000
ids (200 did not). The rest is counted in a "keep typing" line."""
_SCORED = 1000
"""Candidates scored in Python when a query matches more than that: the shortest substring matches, then the
shortest other matches. Enough to fill MAX_SHOWN with the best rows in practice, at a few milliseconds."""
_REMEMBERED = 8
"""Earlier queries whose matches are kept (a few lists of up to one int per model)."""
_SEPARATORS = frozenset("/-_.: ")


@dataclass(frozen=True, slots=True)
class Ranked:
    """The rows to show, best first, and how many models matched in all (at least len(models))."""

    models: list[ModelInfo]
    matched: int

    @property
    def more(self) -> int:
        return self.matched - len(self.models)


class ModelIndex:
    """The models of one list, prepared for filtering. Build it once per list (about 0.2 s at 200,000 ids)."""

    def __init__(self, models: Sequence[ModelInfo]) -> None:
        """`models` in the order an empty query lists them (by id, as the model list is kept)."""
        self._listed = list(models)
        # Built with C-level helpers (map, zip, itemgetter keys): at 200,000 ids a Python lambda per id costs more
        # than the rest of opening the picker.
        raw_ids = [model.id for model in self._listed]
        lengths = list(map(len, raw_ids))
        order = sorted(range(len(raw_ids)), key=lengths.__getitem__)  # stable: ties keep the list's order
        self._models = list(map(self._listed.__getitem__, order))
        self._ids = list(map(str.lower, map(raw_ids.__getitem__, order)))
        # A newline separates id and name; the patterns never cross it, so a match is within one of them.
        self._haystacks = [
            ident if model.name is None else f"{ident}\n{model.name.lower()}"
            for ident, model in zip(self._ids, self._models, strict=True)
        ]
        self._by_id = dict(zip(map(raw_ids.__getitem__, order), range(len(order)), strict=True))
        self._all = range(len(self._models))
        self._recent: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._models)

    def rank(self, query: str, *, current: str | None = None, limit: int = MAX_SHOWN) -> Ranked:
        """The best `limit` models for `query`. An empty query lists the models by id, `current` first."""
        needle = query.strip().lower()
        if not needle:
            return self._unfiltered(current, limit)
        candidates = self._candidates(needle)
        if len(candidates) > _SCORED and len(needle) == 1:
            chosen = candidates[:_SCORED]  # one character: every match is a substring match
        elif len(candidates) > _SCORED:
            substring = re.compile(re.escape(needle)).search
            chosen = list(
                islice(compress(candidates, map(substring, map(self._haystacks.__getitem__, candidates))), _SCORED)
            )
            chosen.extend(islice(candidates, _SCORED))
        else:
            chosen = candidates
        scored = sorted(set(chosen), key=lambda position: (_score(self._ids[position], needle), position))
        return Ranked([self._models[position] for position in scored[:limit]], len(candidates))

    def _unfiltered(self, current: str | None, limit: int) -> Ranked:
        first = self._listed[:limit]
        position = self._by_id.get(current) if current is not None else None
        if position is not None and self._models[position] not in first:
            first = [self._models[position], *first[: limit - 1]]
        return Ranked(first, len(self._models))

    def _candidates(self, needle: str) -> list[int]:
        """Positions (in length order) of the models whose id or name holds `needle` as a subsequence."""
        # Results of the queries typed on the way to this one: typing forward searches only the matches of the
        # longest earlier query it extends (a longer query matches a subset), and Backspace finds its answer here.
        earlier = sorted((query for query in self._recent if needle.startswith(query)), key=len)
        if earlier and earlier[-1] == needle:
            return self._recent[needle]
        pool: Sequence[int] = self._recent[earlier[-1]] if earlier else self._all
        haystacks = self._haystacks
        texts: Iterable[str] = haystacks if pool is self._all else map(haystacks.__getitem__, pool)
        found: Iterable[object]
        if len(needle) == 1:  # the first keystroke searches everything: `in` is twice as fast as a pattern
            found = map(operator.contains, texts, repeat(needle))
        else:
            found = map(_subsequence_pattern(needle).search, texts)
        matches = list(compress(pool, found))
        # Only the prefixes of this query stay (what Backspace returns to), and only the last few of them.
        self._recent = {query: self._recent[query] for query in earlier[-(_REMEMBERED - 1) :]}
        self._recent[needle] = matches
        return matches


def _subsequence_pattern(needle: str) -> re.Pattern[str]:
    """`abc` → `a[^\\nb]*b[^\\nc]*c`: each step can only stop at the next wanted character, so a search is linear
    in the text (no backtracking), and a match never crosses from the id into the name."""
    parts = [re.escape(needle[0])]
    for char in needle[1:]:
        escaped = re.escape(char)
        parts.append(f"[^\\n{escaped}]*{escaped}")
    return re.compile("".join(parts))


def _score(ident: str, needle: str) -> tuple[int, int, int]:
    """Lower is better: a match at the start of the id or of a part of it, then anywhere in one piece, then
    scattered (fewer, earlier pieces first), then a match in the name only."""
    found = ident.find(needle)
    if found >= 0:
        at_start = found == 0 or ident[found - 1] in _SEPARATORS
        return (0 if at_start else 1, found, len(ident))
    spans = match_spans(ident, needle)
    if not spans:
        return (3, 0, len(ident))
    return (2, len(spans), spans[0][0])


def match_spans(ident: str, needle: str) -> list[tuple[int, int]]:
    """Where `needle` (lowercase) matches `ident` (lowercased), as (start, end) runs to highlight; [] if it does
    not. A whole-substring match is preferred to scattered characters."""
    if not needle:
        return []
    lowered = ident.lower()
    if len(lowered) != len(ident):
        return []  # a few characters lowercase to two ("İ"): offsets would not line up, so no highlight
    found = lowered.find(needle)
    if found >= 0:
        return [(found, found + len(needle))]
    spans: list[tuple[int, int]] = []
    position = 0
    for char in needle:
        position = lowered.find(char, position)
        if position < 0:
            return []
        if spans and spans[-1][1] == position:
            spans[-1] = (spans[-1][0], position + 1)
        else:
            spans.append((position, position + 1))
        position += 1
    return spans
