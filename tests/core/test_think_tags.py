from __future__ import annotations

import pytest

from toki_tui.core.api.think_tags import ThinkTagSplitter


def split(pieces: list[str]) -> tuple[str, str]:
    splitter = ThinkTagSplitter()
    content = reasoning = ""
    for piece in pieces:
        c, r = splitter.feed(piece)
        content += c
        reasoning += r
    c, r = splitter.flush()
    return content + c, reasoning + r


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_think_block_split_at_every_size(size: int) -> None:
    text = "  <think>a < b </thin really</think>\n\nThe answer"
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    assert split(pieces) == ("The answer", "a < b </thin really")


def test_tag_later_in_the_reply_is_plain_text() -> None:
    assert split(["Use the ", "<think> tag"]) == ("Use the <think> tag", "")


def test_text_that_only_starts_like_the_tag() -> None:
    assert split(["<th", "ere>"]) == ("<there>", "")


def test_unclosed_think_block_is_all_reasoning() -> None:
    assert split(["<think>still going"]) == ("", "still going")


def test_whitespace_only_then_content() -> None:
    assert split(["\n", "Hi"]) == ("\nHi", "")
