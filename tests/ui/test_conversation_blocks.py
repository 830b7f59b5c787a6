"""The pure parts of the streaming pipeline: the block splitter and the update coalescer."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from toki_tui.ui.coalescer import UpdateCoalescer
from toki_tui.ui.markdown_blocks import Block, BlockSplitter, split_all

DOCUMENT = """# Title

A paragraph
over two lines.

- item one
- item two

  continued item paragraph

```python
def f():

    return 1
```
Text right after the fence.

~~~
tilde fence
~~~
"""


def test_splits_into_top_level_blocks() -> None:
    blocks = split_all(DOCUMENT)
    assert blocks == [
        Block("markdown", "# Title"),
        Block("markdown", "A paragraph\nover two lines."),
        Block("markdown", "- item one\n- item two\n\n  continued item paragraph"),
        Block("fence", "def f():\n\n    return 1", "python"),
        Block("markdown", "Text right after the fence."),
        Block("fence", "tilde fence", ""),
    ]


@given(st.lists(st.integers(min_value=1, max_value=len(DOCUMENT)), max_size=30))
def test_any_split_of_the_stream_gives_the_same_blocks(cuts: list[int]) -> None:
    splitter = BlockSplitter()
    blocks: list[Block] = []
    start = 0
    for cut in sorted(set(cuts)):
        blocks += splitter.feed(DOCUMENT[start:cut])
        start = cut
    blocks += splitter.feed(DOCUMENT[start:])
    blocks += splitter.close()
    assert blocks == split_all(DOCUMENT)


def test_open_fence_is_exposed_until_it_closes() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("Intro\n\n```js\nlet a = 1;\nlet b") == [Block("markdown", "Intro")]
    fence = splitter.open_fence
    assert fence is not None
    assert (fence.language, fence.lines, fence.partial) == ("js", ["let a = 1;"], "let b")
    assert splitter.tail_markdown == ""
    assert splitter.feed(" = 2;\n```\n") == [Block("fence", "let a = 1;\nlet b = 2;", "js")]
    assert splitter.open_fence is None


def test_unclosed_fence_becomes_a_fence_block_on_close() -> None:
    splitter = BlockSplitter()
    splitter.feed("```\ncode")
    assert splitter.close() == [Block("fence", "code", "")]


def test_a_long_tight_list_is_split_so_the_tail_stays_small() -> None:
    text = "".join(f"- item {n}\n" for n in range(100))
    splitter = BlockSplitter()
    completed = splitter.feed(text)
    assert len(completed) >= 3
    assert splitter.tail_markdown.count("\n") < 30


def test_coalescer_hands_over_everything_in_one_update() -> None:
    now = [0.0]
    coalescer = UpdateCoalescer(interval=0.05, clock=lambda: now[0])
    assert coalescer.add_content("a") is True  # the first append asks for a flush
    assert all(coalescer.add_content(piece) is False for piece in "bcdef")
    coalescer.add_reasoning("r")
    update = coalescer.take()
    assert update is not None
    assert (update.content, update.reasoning) == ("abcdef", "r")
    assert coalescer.take() is None


def test_coalescer_spaces_flushes_by_the_interval() -> None:
    now = [10.0]
    coalescer = UpdateCoalescer(interval=0.05, clock=lambda: now[0])
    assert coalescer.due_in() == 0.0
    coalescer.add_content("x")
    coalescer.take()
    now[0] += 0.01
    assert abs(coalescer.due_in() - 0.04) < 1e-9
    now[0] += 0.05
    assert coalescer.due_in() == 0.0


def test_markdown_blocks_render_exactly_as_riches_own_markdown_does() -> None:
    """render_markdown reuses one parser instead of letting rich build one per block (the slow part of a flush):
    the lines must be the ones rich's own Markdown gives, for every kind of block and both code themes."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.style import Style
    from rich.theme import Theme

    from toki_tui.ui.line_render import RenderContext, render_lines, render_markdown

    blocks = [
        "A paragraph with **bold**, *italics*, `inline code`, ~~struck~~ and a [link](https://example.com).",
        "# A heading",
        "- one\n- two with `code`\n  - nested",
        "1. first\n2. second",
        "> a quote\n> over two lines",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "```python\ndef f():\n    return 1\n```",
        "Soft\nbreak and hard  \nbreak.",
        "---",
    ]
    console = Console(width=80, force_terminal=True, color_system="truecolor")
    for code_theme in ("monokai", "friendly"):
        ctx = RenderContext(console, 60, code_theme, Style(color="magenta"))
        for block in blocks:
            with console.use_theme(Theme({"markdown.code": ctx.inline_code})):
                expected = render_lines(Markdown(block, code_theme=code_theme, hyperlinks=False), ctx)
            while expected and _spacing(expected[-1]):
                expected.pop()
            while expected and _spacing(expected[0]):
                expected.pop(0)
            assert render_markdown(block, ctx) == expected, (code_theme, block)


def _spacing(line: list[Any]) -> bool:
    """A line rich adds around a block: no text and no background (a code block's padding has one)."""
    return all(not segment.text.strip() and not (segment.style and segment.style.bgcolor) for segment in line)
