"""Render message text into lines of Rich segments once, and keep them: the basis of the cheap message widgets.

A message widget is one line-API widget whose lines come from here. Completed Markdown blocks are rendered once
per width and kept; only the unfinished tail of a streaming reply is rendered again on each flush. An open code
fence is shown as plain text, one complete line rendered once, and highlighted once when it closes.
All text reaching these functions has been through `safe_text` and is wrapped in `Text`, never parsed as markup.

Lines are kept as plain lists of segments, not Textual `Strip`s: a Strip carries eight caches, and a long reply
holds thousands of lines, which the garbage collector would otherwise scan on every full collection (measured:
the main source of stalls while streaming). The widget makes a Strip only for a line it paints.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from rich.theme import Theme

from toki_tui.ui.code_render import Line as Line  # re-exported: the type of every rendered line
from toki_tui.ui.code_render import fence_header, highlight_now, plain_code_lines
from toki_tui.ui.markdown_blocks import Block, BlockSplitter

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

BLANK: Line = []


_NO_STYLE = Style()


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What rendered lines depend on; when it changes, everything is rendered again (a resize, a theme)."""

    console: Console
    width: int
    code_theme: str
    inline_code: Style = _NO_STYLE
    """The style of `inline code` (Rich's default, cyan on black, is unreadable on light themes)."""

    def options(self) -> ConsoleOptions:
        return self.console.options.update(width=self.width, min_width=self.width, highlight=False, markup=False)


def render_lines(renderable: RenderableType, ctx: RenderContext) -> list[Line]:
    """Render to lines at the context's width."""
    return ctx.console.render_lines(renderable, ctx.options(), pad=False, new_lines=False)


def render_plain(text: str, ctx: RenderContext, style: Style | None = None, indent: int = 0) -> list[Line]:
    """Plain (already sanitized) text, word-wrapped, optionally indented."""
    renderable: RenderableType = Text(text, style=style or "", end="")
    if indent:
        renderable = Padding(renderable, (0, 0, 0, indent))
    return render_lines(renderable, ctx)


def render_markdown(text: str, ctx: RenderContext) -> list[Line]:
    """One Markdown block, without the blank lines Rich puts around some elements (lists, tables): the
    spacing between blocks is ours, one blank line, the same whichever way the text was split."""
    with ctx.console.use_theme(Theme({"markdown.code": ctx.inline_code})):
        lines = render_lines(_markdown(text, ctx.code_theme), ctx)
    start, end = 0, len(lines)
    while start < end and _is_blank(lines[start]):
        start += 1
    while end > start and _is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


@cache
def _markdown_parser() -> MarkdownIt:
    # The parser rich's Markdown builds for itself, with the same extensions.
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table")


@lru_cache(maxsize=8)
def _markdown_template(code_theme: str) -> Markdown:
    from rich.markdown import Markdown  # here, not at the top: the first frame needs no Markdown

    return Markdown("", code_theme=code_theme, hyperlinks=False)


def _markdown(text: str, code_theme: str) -> Markdown:
    """rich's Markdown for `text`, parsed with one shared parser. rich builds a new MarkdownIt parser for every
    Markdown object, costing many times the parse of a paragraph, paid for each block and each flush of a
    streaming reply's tail. A copy of a Markdown that rich constructed itself keeps every attribute rich sets;
    only the text and its parse differ (tests/ui/test_conversation_blocks.py compares with rich's own)."""
    markdown = copy.copy(_markdown_template(code_theme))
    markdown.markup = text
    markdown.parsed = _markdown_parser().parse(text)
    return markdown


def _is_blank(line: Line) -> bool:
    return all(not segment.text.strip() and not (segment.style and segment.style.bgcolor) for segment in line)


@dataclass(frozen=True, slots=True)
class HighlightJob:
    """A long closed fence shown plain for now; its highlighted lines replace `line_count` lines at `offset`."""

    block: Block
    ctx: RenderContext
    offset: int
    line_count: int


class GrowingTextLines:
    """A long text that grows at its end (one huge paragraph, one huge line of minified JSON), rendered as
    chunks that are frozen once rendered plus a short live end, so each flush costs the same however long
    the text has grown. Until the block completes (and is rendered whole), a line may break early where two
    chunks meet: a small, temporary price for not re-rendering 80 kB fifteen times a second."""

    LIMIT = 4000
    """Characters of unfrozen text that trigger freezing a chunk."""
    KEEP = 1000
    """Characters left unfrozen after freezing (the end still changes as text arrives)."""

    def __init__(self) -> None:
        self._frozen_chars = 0
        self._frozen: list[Line] = []

    def reset(self) -> None:
        self._frozen_chars = 0
        self._frozen = []

    def render(self, text: str, render: Callable[[str], list[Line]], cut: Callable[[str, int, int], int]) -> list[Line]:
        """Lines of `text` (which extends the text of the last call); `cut(text, start, end)` picks where a
        frozen chunk that starts at `start` ends, at or before `end`."""
        if self._frozen_chars > len(text):
            self.reset()
        while len(text) - self._frozen_chars > self.LIMIT:
            end = cut(text, self._frozen_chars, len(text) - self.KEEP)
            self._frozen.extend(render(text[self._frozen_chars : end]))
            self._frozen_chars = end
        if self._frozen_chars == 0:
            return render(text)
        return [*self._frozen, *render(text[self._frozen_chars :])]


def _cut_at_space(text: str, start: int, end: int) -> int:
    space = text.rfind(" ", start + 1, end)
    return space + 1 if space > start else end


class MarkdownLines:
    """The rendered lines of a Markdown text that may still be growing at its end."""

    DEFER_FENCE_LINES = 60
    """Fences longer than this are shown plain at once and highlighted in slices by the owner (see jobs)."""

    def __init__(self) -> None:
        self._splitter = BlockSplitter()
        self._jobs: list[HighlightJob] = []
        self._blocks: list[Block] = []
        self._closed = False
        self._ctx: RenderContext | None = None
        self._settled: list[Line] = []  # all completed blocks, blank lines between them
        self._rendered_blocks = 0
        self._fence_lines: list[Line] = []  # the open fence's complete lines, rendered plain
        self._fence_rendered = 0
        self._fence_language = ""
        self._tail: list[Line] | None = None  # the unfinished end, rendered; None when stale
        self._long_tail = GrowingTextLines()  # a huge unfinished paragraph
        self._long_line = GrowingTextLines()  # a huge unfinished line in an open fence

    @property
    def block_count(self) -> int:
        return len(self._blocks)

    @property
    def open_fence_language(self) -> str | None:
        """The language of the code fence still streaming, if one is open."""
        return self._splitter.open_fence_language

    def feed(self, text: str) -> None:
        """Append (sanitized) text."""
        if text:
            self._blocks.extend(self._splitter.feed(text))
            self._tail = None

    def close(self) -> None:
        """No more text: the tail and any open fence become blocks (the fence gets highlighted now)."""
        if not self._closed:
            self._blocks.extend(self._splitter.close())
            self._closed = True
            self._tail = None

    def lines(self, ctx: RenderContext) -> list[Line]:
        """All lines at `ctx`; renders only what is new since the last call."""
        if ctx != self._ctx:
            self._ctx = ctx
            self._jobs = []
            self._settled = []
            self._rendered_blocks = 0
            self._fence_lines = []
            self._fence_rendered = 0
            self._tail = None
            self._long_tail.reset()
            self._long_line.reset()
        if self._rendered_blocks < len(self._blocks):
            for block in self._blocks[self._rendered_blocks :]:
                if self._settled:
                    self._settled.append(BLANK)
                self._settled.extend(self._render_block(block, ctx))
            self._rendered_blocks = len(self._blocks)
            self._tail = None
            # A block completing means any open fence closed and the unfinished block is a new one.
            self._fence_lines = []
            self._fence_rendered = 0
            self._long_tail.reset()
            self._long_line.reset()
        if self._tail is None:
            self._tail = self._render_tail(ctx)
        if not self._tail:
            return self._settled
        if not self._settled:
            return self._tail
        return [*self._settled, BLANK, *self._tail]

    def take_highlight_jobs(self) -> list[HighlightJob]:
        """Long fences waiting to be highlighted; the owner runs `highlight_steps` and calls `apply_highlight`."""
        jobs, self._jobs = self._jobs, []
        return jobs

    def apply_highlight(self, job: HighlightJob, lines: list[Line]) -> bool:
        """Swap a fence's plain lines for highlighted ones; False if the lines were re-rendered meanwhile."""
        if job.ctx != self._ctx or len(lines) != job.line_count:
            return False
        self._settled[job.offset : job.offset + job.line_count] = lines
        return True

    def _render_block(self, block: Block, ctx: RenderContext) -> list[Line]:
        if block.kind == "markdown":
            return render_markdown(block.text, ctx)
        # The open-fence cache belongs to the first fence that completes; never to a later one.
        cached, cached_count, cached_language = self._fence_lines, self._fence_rendered, self._fence_language
        self._fence_lines, self._fence_rendered = [], 0
        line_count = block.text.count("\n") + 1
        if line_count <= self.DEFER_FENCE_LINES:
            return highlight_now(block.text, block.language, ctx)
        code_lines = block.text.split("\n")
        if cached and cached_count <= line_count and cached_language == block.language:
            # The open fence just closed: most of its plain lines are rendered already.
            plain = [*cached, *plain_code_lines(code_lines[cached_count:], ctx)]
        else:
            plain = [fence_header(block.language, ctx), *plain_code_lines(code_lines, ctx)]
        self._jobs.append(HighlightJob(block, ctx, len(self._settled), len(plain)))
        return plain

    def _render_tail(self, ctx: RenderContext) -> list[Line]:
        fence = self._splitter.open_fence
        if fence is None:
            self._fence_lines = []
            self._fence_rendered = 0
            tail = self._splitter.tail_markdown
            if not tail.strip():
                return []
            return self._long_tail.render(tail, lambda text: render_markdown(text, ctx), _cut_at_space)
        if not self._fence_lines:
            self._fence_lines.append(fence_header(fence.language, ctx))
            self._fence_language = fence.language
        if len(fence.lines) > self._fence_rendered:
            self._fence_lines.extend(plain_code_lines(fence.lines[self._fence_rendered :], ctx))
            self._fence_rendered = len(fence.lines)
            self._long_line.reset()  # the partial line is a new one
        if fence.partial:
            row = max(1, ctx.width - 2)  # code folds at this many cells: chunks of whole rows join seamlessly

            def cut_at_row(text: str, start: int, end: int) -> int:
                return start + max(1, (end - start) // row) * row

            partial = self._long_line.render(fence.partial, lambda text: plain_code_lines([text], ctx), cut_at_row)
            return [*self._fence_lines, *partial]
        return self._fence_lines


class PlainTextLines:
    """Rendered lines of plain text that may grow at its end (reasoning): each complete line rendered once."""

    def __init__(self, style: Style | None = None, indent: int = 0) -> None:
        self._lines: list[str] = []
        self._partial = ""
        self._style = style
        self._indent = indent
        self._ctx: RenderContext | None = None
        self._rendered: list[Line] = []
        self._rendered_count = 0

    @property
    def text(self) -> str:
        return "\n".join([*self._lines, self._partial])

    def feed(self, text: str) -> None:
        if text:
            *complete, self._partial = (self._partial + text).split("\n")
            self._lines.extend(complete)

    def set_style(self, style: Style | None) -> None:
        if style != self._style:
            self._style = style
            self._ctx = None

    def lines(self, ctx: RenderContext) -> list[Line]:
        if ctx != self._ctx:
            self._ctx = ctx
            self._rendered = []
            self._rendered_count = 0
        for line in self._lines[self._rendered_count :]:
            self._rendered.extend(render_plain(line, ctx, self._style, self._indent) or [BLANK])
        self._rendered_count = len(self._lines)
        if self._partial:
            return [*self._rendered, *render_plain(self._partial, ctx, self._style, self._indent)]
        return self._rendered


def first_changed_line(old: list[Line], new: list[Line]) -> int:
    """Index of the first line that differs between two renderings (len of the shorter if one extends the
    other). Settled lines are the same objects from one flush to the next, so most compare by identity."""
    for index, (before, after) in enumerate(zip(old, new, strict=False)):
        if before is not after and before != after:
            return index
    return min(len(old), len(new))
