"""The fenced code blocks of a Markdown text, as plain code: what "/copy code N" puts on the clipboard.

A pure function of the text (no Markdown library, no rich): it follows CommonMark's fence rules, the ones the
conversation pane renders by, so the block numbered N here is the Nth block the user sees. A fence is 3+ backticks
or tildes indented at most 3 spaces; it is closed by a line of the same character, at least as long, with nothing
after it, so a shorter or different fence inside a block is part of its code (a ```` block showing a ``` one).
A fence left open runs to the end of the text (a reply cut off mid-block). The code comes back without the fences
and with the fence's own indentation removed from each line, as CommonMark does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPENING = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True, slots=True)
class CodeBlock:
    code: str
    """The lines between the fences, without them, ending without a newline."""
    language: str
    """The info string's first word ("" when none)."""


def _closes(line: str, char: str, length: int) -> bool:
    stripped = line.strip(" ")
    if len(line) - len(line.lstrip(" ")) > 3 or not stripped:
        return False
    run = len(stripped) - len(stripped.lstrip(char))
    return run >= length and stripped == char * run


def _dedent(line: str, indent: int) -> str:
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def code_blocks(markdown: str) -> list[CodeBlock]:
    """Every fenced code block of `markdown`, in order."""
    blocks: list[CodeBlock] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        index += 1
        if opening is None:
            continue
        indent, fence, info = len(opening.group(1)), opening.group(2), opening.group(3)
        if fence[0] == "`" and "`" in info:
            continue  # not a fence: CommonMark forbids backticks in a backtick fence's info string
        body: list[str] = []
        while index < len(lines) and not _closes(lines[index], fence[0], len(fence)):
            body.append(_dedent(lines[index], indent))
            index += 1
        index += 1  # the closing fence (or past the end)
        words = info.split()
        blocks.append(CodeBlock("\n".join(body), words[0] if words else ""))
    return blocks
