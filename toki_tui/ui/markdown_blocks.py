"""Split a growing Markdown text into top-level blocks, incrementally.

The live reply renders each completed block once and re-renders only the unfinished last one, so the cost of a
flush does not grow with the length of the reply. Splitting is deliberately conservative: a block ends only where
rendering it separately cannot change how it looks (a blank line followed by an unindented line, a heading line,
a code fence opening or closing), so a reply rendered block by block looks like the reply rendered whole.
Work per `feed()` is proportional to the new text: only new complete lines are examined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,9}[.)])[ \t]")

# A tight list (no blank lines) is one Markdown block however long it gets; past this many lines it is split
# before its next top-level item so the re-rendered tail stays small. Rich renders the parts identically.
_MAX_TAIL_LIST_LINES = 24


@dataclass(frozen=True, slots=True)
class Block:
    """One completed top-level block."""

    kind: Literal["markdown", "fence"]
    text: str
    """Markdown source for "markdown"; the code between the fence lines for "fence"."""
    language: str = ""
    """The fence's info string's first word ("python"), empty when none was given."""


@dataclass(frozen=True, slots=True)
class OpenFence:
    """A code fence that has opened and not yet closed: shown as plain text until it closes."""

    language: str
    lines: list[str]
    """The complete code lines so far (the list grows; it is the splitter's own list, do not modify it)."""
    partial: str
    """The incomplete last line."""


class BlockSplitter:
    """Feed text as it streams; collect completed blocks; look at the unfinished tail."""

    def __init__(self) -> None:
        self._partial = ""  # text after the last newline
        self._block_lines: list[str] = []  # lines of the current (unfinished) markdown block
        self._blank_seen = False  # the current block has ended with blank line(s)
        self._fence_marker: str | None = None  # e.g. "```" while inside a fence
        self._fence_language = ""
        self._fence_lines: list[str] = []

    def feed(self, text: str) -> list[Block]:
        """Add streamed text; return the blocks it completed, in order."""
        done: list[Block] = []
        if not text:
            return done
        data = self._partial + text
        *lines, self._partial = data.split("\n")
        for line in lines:
            self._line(line, done)
        return done

    def close(self) -> list[Block]:
        """The stream ended: everything left becomes blocks (an unclosed fence becomes a fence block)."""
        done: list[Block] = []
        if self._partial:
            self._line(self._partial, done)
            self._partial = ""
        if self._fence_marker is not None:
            done.append(Block("fence", "\n".join(self._fence_lines), self._fence_language))
            self._fence_marker = None
            self._fence_lines = []
        else:
            self._end_block(done)
        return done

    @property
    def open_fence_language(self) -> str | None:
        """The language of the fence that is open (as written after the backticks), or None."""
        return self._fence_language if self._fence_marker is not None else None

    @property
    def open_fence(self) -> OpenFence | None:
        if self._fence_marker is None:
            return None
        return OpenFence(self._fence_language, self._fence_lines, self._partial)

    @property
    def tail_markdown(self) -> str:
        """The unfinished markdown block (empty inside an open fence)."""
        if self._fence_marker is not None:
            return ""
        if not self._block_lines:
            return self._partial
        return "\n".join([*self._block_lines, self._partial])

    def _line(self, line: str, done: list[Block]) -> None:
        if self._fence_marker is not None:
            if _closes_fence(line, self._fence_marker):
                done.append(Block("fence", "\n".join(self._fence_lines), self._fence_language))
                self._fence_marker = None
                self._fence_lines = []
            else:
                self._fence_lines.append(line)
            return
        if not line.strip():
            if self._block_lines:
                self._blank_seen = True
                self._block_lines.append(line)
            return
        opened = _FENCE_OPEN.match(line)
        if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
            self._end_block(done)
            self._fence_marker = opened["fence"]
            self._fence_language = opened["info"].strip().split(" ")[0] if opened["info"].strip() else ""
            self._fence_lines = []
            return
        if _HEADING.match(line):
            self._end_block(done)
            done.append(Block("markdown", line))
            return
        unindented = not line[0].isspace()
        long_list_item = (
            len(self._block_lines) >= _MAX_TAIL_LIST_LINES
            and _LIST_ITEM.match(line) is not None
            and _LIST_ITEM.match(self._block_lines[0]) is not None
        )
        if unindented and (self._blank_seen or long_list_item):
            self._end_block(done)
        self._block_lines.append(line)

    def _end_block(self, done: list[Block]) -> None:
        lines = self._block_lines
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            done.append(Block("markdown", "\n".join(lines)))
        self._block_lines = []
        self._blank_seen = False


def _closes_fence(line: str, marker: str) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    run = len(stripped) - len(stripped.lstrip(marker[0]))
    return run >= len(marker) and not stripped[run:].strip()


def split_all(text: str) -> list[Block]:
    """All blocks of a finished text (the same split the live reply ends with)."""
    splitter = BlockSplitter()
    return [*splitter.feed(text), *splitter.close()]
