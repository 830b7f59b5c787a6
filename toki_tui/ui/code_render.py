"""Code blocks: plain while their fence is open, highlighted once when it closes, the same height either way.

Highlighting is a generator of small steps so that a long fence (thousands of lines) can be highlighted on the
event loop in slices of a few milliseconds (see MessageView) instead of blocking it for a few hundred; short
fences run the steps straight through. Every line is laid out on its own, by the same code for the plain and the
highlighted form, so swapping one for the other never moves the text.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Generator, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from pygments.lexer import Lexer  # type: ignore[import-untyped]

    from toki_tui.ui.line_render import RenderContext

# rich.syntax and pygments are imported where they are used, not at the top: the first frame (an empty chat)
# needs neither, and the chat screen warms them in a thread right after it (see warm_up_imports).

Line = list[Segment]
"""One rendered line (see line_render for why not a Strip)."""

TAB_SIZE = 4
_TOKENS_PER_STEP = 400
_LINES_PER_STEP = 60


def code_background(code_theme: str) -> Style:
    from rich.syntax import Syntax

    return Syntax.get_theme(code_theme).get_background_style()


def fence_header(language: str, ctx: RenderContext) -> Line:
    """The line above a code block, naming its language; the same while open and once highlighted."""
    background = code_background(ctx.code_theme)
    label = Segment(f" {language or 'code'} ", background + Style(dim=True, italic=True))
    return Segment.adjust_line_length([label], ctx.width, background)


def plain_code_lines(lines: Iterable[str], ctx: RenderContext) -> list[Line]:
    """Code lines of an open fence: no highlighting, laid out exactly as the highlighted lines will be."""
    return code_lines([Text(line, end="") for line in lines], ctx)


def code_lines(lines: Iterable[Text], ctx: RenderContext) -> list[Line]:
    """Code lines on the code block's background, one cell of padding each side, long lines folded."""
    background = code_background(ctx.code_theme)
    inner_width = max(1, ctx.width - 2)
    pad = Segment(" ", background)
    rendered: list[Line] = []
    for line in lines:
        if "\t" in line.plain:
            line.expand_tabs(TAB_SIZE)
        parts = line.wrap(ctx.console, inner_width, overflow="fold") if line.cell_len > inner_width else [line]
        for part in parts:
            segments = [pad, *Segment.apply_style(part.render(ctx.console), background)]
            rendered.append(Segment.adjust_line_length(segments, ctx.width, background))
    return rendered


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    """Lexers are reusable and cost a tenth of a millisecond to build: one per language."""
    if not language:
        return None
    from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False, tabsize=TAB_SIZE)
    except ClassNotFound:
        return None


def prepare_lexer(language: str) -> None:
    """Load the highlighter for `language` ahead of use (from a worker thread while its fence still streams):
    the first use of a language imports its lexer module, which otherwise stalls the screen just as the
    fence closes."""
    _lexer(language)


HIGHLIGHT_SLICE = 0.004
"""Seconds of highlighting work between two returns to the event loop."""


async def highlight_in_slices(code: str, language: str, ctx: RenderContext) -> list[Line]:
    """`highlight_steps` run to its end in slices of HIGHLIGHT_SLICE, so keys and a stream keep flowing."""
    steps = highlight_steps(code, language, ctx)
    deadline = time.perf_counter() + HIGHLIGHT_SLICE
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        if time.perf_counter() > deadline:
            await asyncio.sleep(0)
            deadline = time.perf_counter() + HIGHLIGHT_SLICE


def highlight_steps(code: str, language: str, ctx: RenderContext) -> Generator[None, None, list[Line]]:
    """Highlight `code` in small steps (each `next()` does a bounded amount of work); returns the lines."""
    lexer = _lexer(language)
    if lexer is None:  # unknown language: the plain form is the final form
        return [fence_header(language, ctx), *plain_code_lines(code.split("\n"), ctx)]
    from rich.syntax import Syntax

    theme = Syntax.get_theme(ctx.code_theme)
    lines: list[Text] = [Text(end="")]
    for count, (token_type, value) in enumerate(lexer.get_tokens(code), start=1):
        style = theme.get_style_for_token(token_type)
        first, *rest = value.split("\n")
        if first:
            lines[-1].append(first, style)
        for part in rest:
            line = Text(end="")
            if part:
                line.append(part, style)
            lines.append(line)
        if count % _TOKENS_PER_STEP == 0:
            yield
    expected = code.count("\n") + 1
    del lines[expected:]  # a lexer may add a final newline
    lines.extend(Text(end="") for _ in range(expected - len(lines)))
    rendered = [fence_header(language, ctx)]
    for start in range(0, len(lines), _LINES_PER_STEP):
        rendered.extend(code_lines(lines[start : start + _LINES_PER_STEP], ctx))
        yield
    return rendered


def highlight_now(code: str, language: str, ctx: RenderContext) -> list[Line]:
    """Run all of `highlight_steps` at once (for short fences)."""
    steps = highlight_steps(code, language, ctx)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: list[Line] = done.value
            return result


def warm_up_imports() -> None:
    """Import what rendering a reply needs (Markdown parsing, highlighting), for a worker thread to call after the
    first frame, so neither the first frame nor the first reply waits for these imports."""
    for module in ("rich.markdown", "rich.syntax", "pygments.lexers"):
        importlib.import_module(module)
