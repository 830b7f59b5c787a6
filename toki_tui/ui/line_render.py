"""Render message text into Textual `Strip`s once, and keep them: the basis of the cheap message widgets.

A message widget is one line-API widget whose lines come from here. Completed Markdown blocks are rendered once
per width and kept; only the unfinished tail of a streaming reply is rendered again on each flush. An open code
fence is shown as plain text, one complete line rendered once, and highlighted once when it closes.
All text reaching these functions has been through `safe_text` and is wrapped in `Text`, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.strip import Strip

from toki_tui.ui.markdown_blocks import Block, BlockSplitter

BLANK = Strip([])


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What rendered lines depend on; when it changes, everything is rendered again (a resize, a theme)."""

    console: Console
    width: int
    code_theme: str

    def options(self) -> ConsoleOptions:
        return self.console.options.update(width=self.width, min_width=self.width, highlight=False, markup=False)


def render_strips(renderable: RenderableType, ctx: RenderContext) -> list[Strip]:
    """Render to lines at the context's width."""
    lines = ctx.console.render_lines(renderable, ctx.options(), pad=False, new_lines=False)
    return [Strip(line) for line in lines]


def render_plain(text: str, ctx: RenderContext, style: Style | None = None, indent: int = 0) -> list[Strip]:
    """Plain (already sanitized) text, word-wrapped, optionally indented."""
    renderable: RenderableType = Text(text, style=style or "", end="")
    if indent:
        renderable = Padding(renderable, (0, 0, 0, indent))
    return render_strips(renderable, ctx)


def _code_background(code_theme: str) -> Style:
    return Syntax.get_theme(code_theme).get_background_style()


def fence_header(language: str, ctx: RenderContext) -> Strip:
    """The line above a code block, naming its language; the same while open and once highlighted."""
    background = _code_background(ctx.code_theme)
    label = Segment(f" {language or 'code'} ", background + Style(dim=True, italic=True))
    return Strip([label]).extend_cell_length(ctx.width, background).crop(0, ctx.width)


def render_fence(block: Block, ctx: RenderContext) -> list[Strip]:
    """A closed fence: highlighted once, here."""
    syntax = Syntax(
        block.text,
        block.language or "text",
        theme=ctx.code_theme,
        word_wrap=True,
        padding=(0, 1),
    )
    return [fence_header(block.language, ctx), *render_strips(syntax, ctx)]


def render_code_line_plain(line: str, ctx: RenderContext) -> list[Strip]:
    """One line of an open fence: no highlighting, the code block's background, the same padding."""
    background = _code_background(ctx.code_theme)
    return render_strips(Padding(Text(line, end=""), (0, 1), style=background, expand=True), ctx)


def render_block(block: Block, ctx: RenderContext) -> list[Strip]:
    if block.kind == "fence":
        return render_fence(block, ctx)
    return render_strips(Markdown(block.text, code_theme=ctx.code_theme, hyperlinks=False), ctx)


class MarkdownLines:
    """The rendered lines of a Markdown text that may still be growing at its end."""

    def __init__(self) -> None:
        self._splitter = BlockSplitter()
        self._blocks: list[Block] = []
        self._closed = False
        self._ctx: RenderContext | None = None
        self._settled: list[Strip] = []  # all completed blocks, blank lines between them
        self._rendered_blocks = 0
        self._fence_lines: list[Strip] = []  # the open fence's complete lines, rendered plain
        self._fence_rendered = 0
        self._tail: list[Strip] | None = None  # the unfinished end, rendered; None when stale

    @property
    def block_count(self) -> int:
        return len(self._blocks)

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

    def strips(self, ctx: RenderContext) -> list[Strip]:
        """All lines at `ctx`; renders only what is new since the last call."""
        if ctx != self._ctx:
            self._ctx = ctx
            self._settled = []
            self._rendered_blocks = 0
            self._fence_lines = []
            self._fence_rendered = 0
            self._tail = None
        if self._rendered_blocks < len(self._blocks):
            for block in self._blocks[self._rendered_blocks :]:
                if self._settled:
                    self._settled.append(BLANK)
                self._settled.extend(render_block(block, ctx))
            self._rendered_blocks = len(self._blocks)
            self._tail = None
            # A block completing means any open fence closed: its plain lines are stale.
            self._fence_lines = []
            self._fence_rendered = 0
        if self._tail is None:
            self._tail = self._render_tail(ctx)
        if not self._tail:
            return self._settled
        if not self._settled:
            return self._tail
        return [*self._settled, BLANK, *self._tail]

    def _render_tail(self, ctx: RenderContext) -> list[Strip]:
        fence = self._splitter.open_fence
        if fence is None:
            self._fence_lines = []
            self._fence_rendered = 0
            tail = self._splitter.tail_markdown
            if not tail.strip():
                return []
            return render_strips(Markdown(tail, code_theme=ctx.code_theme, hyperlinks=False), ctx)
        if not self._fence_lines:
            self._fence_lines.append(fence_header(fence.language, ctx))
        for line in fence.lines[self._fence_rendered :]:
            self._fence_lines.extend(render_code_line_plain(line, ctx))
        self._fence_rendered = len(fence.lines)
        if fence.partial:
            return [*self._fence_lines, *render_code_line_plain(fence.partial, ctx)]
        return self._fence_lines


class PlainTextLines:
    """Rendered lines of plain text that may grow at its end (reasoning): each complete line rendered once."""

    def __init__(self, style: Style | None = None, indent: int = 0) -> None:
        self._lines: list[str] = []
        self._partial = ""
        self._style = style
        self._indent = indent
        self._ctx: RenderContext | None = None
        self._rendered: list[Strip] = []
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

    def strips(self, ctx: RenderContext) -> list[Strip]:
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
