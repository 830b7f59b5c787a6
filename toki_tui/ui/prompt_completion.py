"""What Tab completes in the prompt: a command name, a model id, a preset name, a fixed choice or a file path.

Pure functions with no Textual or I/O: the prompt finds the word under completion here, and gets the candidates
for everything but paths (the screen lists folders, as that is I/O). Candidates are ranked: those starting with
the typed word first (shortest first), then those containing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from toki_tui.core.text import displayable_line
from toki_tui.ui.slash_commands import COMMAND_NAMES

MAX_CANDIDATES = 50
"""Candidates kept for one completion: Tab cycles through them and the hint line shows the first few; a model list
can hold hundreds of ids, and cycling past fifty is slower than typing one more letter."""
HINT_CANDIDATES = 8
"""Candidates named on the one-line hint; the rest are counted."""

FIXED_CHOICES: dict[str, tuple[str, ...]] = {
    "json": ("on", "off"),
    "stream": ("on", "off"),
    "export": ("md", "json"),
    "role": ("system", "developer"),
}
"""The first argument of commands that take one of a few words."""

PATH_COMMANDS = frozenset({"attach", "tools"})
"""Commands whose whole argument is a file path (which may hold spaces)."""

Kind = Literal["command", "model", "preset", "choice", "path"]


@dataclass(frozen=True, slots=True)
class CompletionSpot:
    """The word Tab would complete: it runs from `start` to the end of the prompt."""

    kind: Kind
    start: int
    word: str
    choices: tuple[str, ...] = ()
    """The words allowed, for kind "choice"."""


def completion_spot(text: str) -> CompletionSpot | None:
    """Where Tab completes in `text`, or None when there is nothing to complete (not a command, several lines, or
    past the arguments that can be completed)."""
    if not text.startswith("/") or "\n" in text:
        return None
    head, space, rest = text[1:].partition(" ")
    if not space:
        return CompletionSpot("command", 1, head)
    name = head.lower()
    if name == "compare":  # every argument is a model id: complete the last one
        last = rest.rpartition(" ")[2]
        return CompletionSpot("model", len(text) - len(last), last)
    if name in PATH_COMMANDS:
        return CompletionSpot("path", len(text) - len(rest), rest)
    first, second_space, path = rest.partition(" ")
    if not second_space:
        start = len(text) - len(first)
        if name == "model":
            return CompletionSpot("model", start, first)
        if name == "preset":
            return CompletionSpot("preset", start, first)
        if name in FIXED_CHOICES:
            return CompletionSpot("choice", start, first, FIXED_CHOICES[name])
        return None
    if name == "export" and first.lower() in FIXED_CHOICES["export"]:
        return CompletionSpot("path", len(text) - len(path), path)  # a path may hold spaces: all of the rest
    return None


def rank(word: str, names: Iterable[str]) -> list[str]:
    """`names` matching `word` (case-insensitive): prefix matches, shortest first, then substring matches; at most
    MAX_CANDIDATES. A name that would not show as itself (control characters, line breaks) is left out: the
    prompt would write it to the terminal as it is."""
    needle = word.lower()
    prefix: list[str] = []
    inside: list[tuple[int, str]] = []
    for name in names:
        lowered = name.lower()
        if lowered.startswith(needle):
            prefix.append(name)
        elif needle and (position := lowered.find(needle)) >= 0:
            inside.append((position, name))
    prefix.sort(key=lambda name: (len(name), name))
    inside.sort(key=lambda item: (item[0], len(item[1]), item[1]))
    ranked = [*prefix, *(name for _, name in inside)]
    return [name for name in ranked if displayable_line(name) == name][:MAX_CANDIDATES]


def candidates(spot: CompletionSpot, model_ids: Iterable[str], preset_names: Iterable[str] = ()) -> list[str]:
    """The candidates for a spot that needs no I/O (every kind but "path")."""
    if spot.kind == "command":
        return [name for name in COMMAND_NAMES if name.startswith(spot.word.lower())]
    if spot.kind == "model":
        return rank(spot.word, model_ids)
    if spot.kind == "preset":
        return rank(spot.word, preset_names)
    if spot.kind == "choice":
        return [choice for choice in spot.choices if choice.startswith(spot.word.lower())]
    return []


def common_prefix(names: list[str]) -> str:
    common = names[0] if names else ""
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    return common


def candidates_hint(names: list[str], current: int | None) -> str:
    """One line naming the candidates, the one in the prompt marked, for the hint above the prompt."""
    if not names:
        return "No completion (Tab)"
    shown = [f"›{name}‹" if index == current else name for index, name in enumerate(names[:HINT_CANDIDATES])]
    more = f"  +{len(names) - HINT_CANDIDATES} more" if len(names) > HINT_CANDIDATES else ""
    return "  ".join(shown) + more + "  (Tab cycles)"
