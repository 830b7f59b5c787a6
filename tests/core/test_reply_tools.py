"""The pure parts of the reply actions: code blocks, JSON replies, the reply's facts, export file names and writes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from toki_tui.core.api.reply import SPEED_WINDOW
from toki_tui.core.code_blocks import code_blocks
from toki_tui.core.json_reply import PRETTY_JSON_MAX_CHARS, pretty_json
from toki_tui.core.pricing import Price
from toki_tui.core.reply_facts import detail_rows, tokens_per_second
from toki_tui.core.store.export_file import (
    EXPORT_NAME_MAX_CHARS,
    ExportError,
    default_export_path,
    safe_file_stem,
    write_export,
)


def test_code_blocks_backtick_and_tilde_fences_in_order() -> None:
    text = "Intro\n\n```python\nprint(1)\n```\n\ntext\n\n~~~\nplain ~ tilde\n~~~\n"
    blocks = code_blocks(text)
    assert [(b.language, b.code) for b in blocks] == [("python", "print(1)"), ("", "plain ~ tilde")]


def test_a_longer_fence_keeps_a_shorter_one_inside_as_code() -> None:
    text = "````markdown\nExample:\n```js\nx()\n```\n````\nafter\n```\nsecond\n```"
    blocks = code_blocks(text)
    assert blocks[0].code == "Example:\n```js\nx()\n```"
    assert blocks[0].language == "markdown"
    assert blocks[1].code == "second"


def test_a_tilde_fence_is_not_closed_by_backticks() -> None:
    assert [b.code for b in code_blocks("~~~\n```\nin\n```\n~~~")] == ["```\nin\n```"]


def test_an_indented_fence_loses_its_indentation_from_the_code() -> None:
    text = "1. step\n\n   ```sh\n   ls -l\n     indented more\n   ```\n"
    assert code_blocks(text)[0].code == "ls -l\n  indented more"


def test_four_spaces_is_not_a_fence_and_an_open_fence_runs_to_the_end() -> None:
    assert code_blocks("    ```\n    not a fence\n    ```") == []
    assert [b.code for b in code_blocks("text\n```py\ncut off\nmid-block")] == ["cut off\nmid-block"]


def test_a_closing_fence_must_be_bare_and_long_enough() -> None:
    text = "````\n``` not closing\n```\n````"
    assert code_blocks(text)[0].code == "``` not closing\n```"


def test_pretty_json_only_for_one_whole_value() -> None:
    assert pretty_json('{"a":[1,2],"b":"x"}') == json.dumps({"a": [1, 2], "b": "x"}, indent=2)
    assert pretty_json('{"a": 1') is None  # cut off
    assert pretty_json('Here: {"a": 1}') is None  # prose around it
    assert pretty_json("42") is None  # a scalar gains nothing
    assert pretty_json("[" * 10_000 + "]" * 10_000) is None  # deeper than the stack: shown as it came
    long = "[" + ",".join(["1"] * (PRETTY_JSON_MAX_CHARS // 2)) + "]"
    assert pretty_json(long) is None  # over the cap: shown as it came


def test_tokens_per_second_counts_from_the_first_token() -> None:
    assert tokens_per_second(100, 5.0, 1.0) == 25.0
    assert tokens_per_second(100, 4.0, None) == 25.0
    assert tokens_per_second(None, 4.0, 1.0) is None
    assert tokens_per_second(100, None, None) is None
    assert tokens_per_second(100, 1.0, 1.0) == 100.0  # no time after the first token: the whole duration
    assert tokens_per_second(True, 1.0, None) is None


def _stored(**fields: object) -> SimpleNamespace:
    base: dict[str, object] = {
        "id": 1,
        "role": "assistant",
        "status": "complete",
        "created_at": 0.0,
        "model": "m-1",
        "endpoint": "toki",
        "params": {"temperature": 0.3, "json_mode": True, "stop": ["x"]},
        "usage": {"prompt_tokens": 12, "completion_tokens": 300, "total_tokens": 312, "reasoning_tokens": 40},
        "ttft": 0.5,
        "duration": 3.5,
        "finish_reason": "stop",
        "error": None,
        "cost_estimate": None,
        "price": None,
        "cost_reported": False,
    }
    base.update(fields)
    return SimpleNamespace(**base)


def test_detail_rows_name_everything_known() -> None:
    rows = dict(detail_rows(_stored()))  # type: ignore[arg-type]
    assert rows["Model"] == "m-1"
    assert rows["Endpoint"] == "toki"
    assert rows["  temperature"] == "0.3"
    assert rows["  json_mode"] == "true"
    assert rows["  stop"] == '["x"]'
    assert rows["Prompt tokens"] == "12"
    assert rows["Completion tokens"] == "300"
    assert rows["Total tokens"] == "312"
    assert rows["Reasoning tokens"] == "40"
    assert rows["Time to first token"] == "500 ms"
    assert rows["Duration"] == "3.50 s"
    assert rows["Speed"] == "100 tok/s"
    assert rows["Finish reason"] == "stop"
    assert "Error" not in rows
    assert rows["Cost (estimate)"].startswith("unknown: no price for this model")
    priced = dict(detail_rows(_stored(cost_estimate=0.00033324, price=Price(0.27, 1.1, "config"))))  # type: ignore[arg-type]
    assert priced["Cost (estimate)"] == (
        "≈$0.00033: 12 prompt tokens at 0.27 and 300 completion tokens at 1.1 per million (the config's price)"
    )
    continued = dict(detail_rows(_stored(cost_estimate=0.001, price=Price(0.27, 1.1, "config"))))  # type: ignore[arg-type]
    assert continued["Cost (estimate)"] == "≈$0.001: the reply was continued, and this adds up the cost of each part"
    charged = dict(detail_rows(_stored(cost_estimate=1.5, cost_reported=True)))  # type: ignore[arg-type]
    assert charged["Cost"] == "$1.50: reported by the server" and "Cost (estimate)" not in charged


def test_detail_rows_of_a_failed_reply_without_usage() -> None:
    rows = dict(detail_rows(_stored(usage=None, params=None, status="error", error="boom", finish_reason=None)))  # type: ignore[arg-type]
    assert rows["Error"] == "boom"
    assert rows["Usage"] == "not reported by the server"
    assert rows["Parameters"].startswith("none sent")
    assert rows["Speed"] == "unknown (no completion token count)"
    quick = dict(detail_rows(_stored(duration=0.1, ttft=0.05)))  # type: ignore[arg-type]
    assert quick["Speed"] == "unknown (the tokens came in under 0.25 s: too fast to measure)"
    assert rows["Finish reason"] == "none given"
    unmeasured = dict(detail_rows(_stored(usage=None, price=Price(1, 2, "server"))))  # type: ignore[arg-type]
    assert unmeasured["Cost (estimate)"] == "unknown: the server reported no token counts"


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Plan: the trip / 2024?", "Plan-the-trip-2024"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("NUL", "conversation"),
        ("", "conversation"),
        ("\x1b]0;pwned\x07 title", "]0;pwned-title"),
        ("日本語の会話", "日本語の会話"),
    ],
)
def test_safe_file_stem(title: str, stem: str) -> None:
    assert safe_file_stem(title) == stem


def test_a_long_title_is_cut() -> None:
    assert len(safe_file_stem("word " * 100)) <= EXPORT_NAME_MAX_CHARS


def test_default_export_path(tmp_path: Path) -> None:
    assert default_export_path("My chat", "md", tmp_path) == tmp_path / "My-chat.md"
    assert default_export_path("My chat", "json", tmp_path) == tmp_path / "My-chat.json"


def test_write_export_refuses_to_replace_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    assert write_export(target, "one", overwrite=False) == target
    with pytest.raises(ExportError, match="already exists"):
        write_export(target, "two", overwrite=False)
    assert target.read_text() == "one"
    write_export(target, "two", overwrite=True)
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]  # no temporary file left


def test_write_export_into_a_missing_folder_says_where(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot write in"):
        write_export(tmp_path / "missing" / "out.md", "x", overwrite=False)
    with pytest.raises(ExportError, match="is a folder"):
        write_export(tmp_path, "x", overwrite=True)


def test_no_speed_is_shown_for_tokens_that_arrived_all_at_once() -> None:
    # Two tokens in 10 ms would read as 200 tok/s: a figure about the network, not the model.
    assert tokens_per_second(2, duration=1.01, ttft=1.0) is None
    assert tokens_per_second(50, duration=1.0 + SPEED_WINDOW, ttft=1.0) == pytest.approx(50 / SPEED_WINDOW)
