"""/compare: parsing, Tab completing every model id it takes, and a column's header (pure functions, no app)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import cast

import pytest

from toki_tui.core.api.events import Usage
from toki_tui.core.api.reply import ReplyAccumulator
from toki_tui.core.pricing import Price
from toki_tui.core.reply_run import ReplyRun
from toki_tui.ui.prompt_completion import candidates, completion_spot
from toki_tui.ui.screens.compare_runner import figures_of
from toki_tui.ui.slash_commands import CompareModels, SlashCommandError, parse_slash_command

MODELS = ["deepseek/deepseek-chat-v3", "openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"]


def test_compare_takes_two_to_four_model_ids_or_off_or_nothing() -> None:
    assert parse_slash_command("/compare a/x b/y c") == CompareModels(("a/x", "b/y", "c"))
    assert parse_slash_command("/compare off") == CompareModels(())
    assert parse_slash_command("/compare") == CompareModels(None)
    with pytest.raises(SlashCommandError, match="2 to 4 models, not 1"):
        parse_slash_command("/compare only")
    with pytest.raises(SlashCommandError, match="only once"):
        parse_slash_command("/compare a a")


def test_tab_completes_the_last_model_id_of_compare() -> None:
    text = "/compare deepseek/deepseek-chat-v3 gpt"
    spot = completion_spot(text)
    assert spot is not None and spot.kind == "model" and spot.word == "gpt"
    assert text[spot.start :] == "gpt"
    assert candidates(spot, MODELS) == ["openai/gpt-4o-mini"]
    first = completion_spot("/compare ")
    assert first is not None and first.kind == "model" and first.word == ""


def test_a_column_header_cuts_the_model_id_and_marks_estimates() -> None:
    from toki_tui.ui.widgets.compare_view import ReplyFigures, header_text

    figures = ReplyFigures(status="streaming", tokens_per_second=41.4, ttft=0.3, tokens=120, tokens_estimated=True)
    title, *stats = header_text(2, "vendor/a-very-long-model-id", figures, chosen=False, width=14).plain.split("\n")
    assert title == "2 vendor/a-ve…"
    wide = header_text(2, "m", figures, chosen=False, width=80).plain.split("\n")[1:]
    assert wide == ["streaming · 41 tok/s · 1st token 0.30 s · ~120 tok · cost unknown"]
    # A narrow column (four at 120 cells: 17 wide) keeps the status and the cost, in two lines, never a figure
    # split: the time to first token goes first, then the speed.
    assert stats == ["streaming", "cost unknown"]
    done = ReplyFigures(status="complete", tokens_per_second=209.4, ttft=0.01, tokens=345, cost="≈$0.0007")
    assert header_text(1, "or/cheap", done, chosen=False, width=17).plain.split("\n")[1:] == ["complete", "≈$0.0007"]
    assert header_text(1, "or/cheap", done, chosen=False, width=20).plain.split("\n")[1:] == [
        "complete · 209 tok/s",
        "345 tok · ≈$0.0007",
    ]
    done = ReplyFigures(status="complete", tokens=118, cost="≈$0.0001")
    assert (
        header_text(1, "m", done, chosen=True, width=40).plain
        == "1 m  ✓ continuing here\ncomplete · 118 tok · ≈$0.0001"
    )


def test_tabs_give_the_model_ids_the_room_when_four_share_80_cells() -> None:
    """At 80x24 four tabs showed `1 dee… · complete`: the state word left the id three letters. Where the id needs
    the room the state is one sign (✓ ✖ ■ ↓ ⋯); where all fits, the word stays."""
    from toki_tui.ui.widgets.compare_view import CompareHeader, ReplyFigures, tabs_text

    ids = ("deepseek/deepseek-chat-v3", "openai/gpt-4o-mini", "meta-llama/llama-3.1-8b", "qwen/qwen-2.5")
    headers = [CompareHeader(number, model) for number, model in enumerate(ids, start=1)]
    for header, status in zip(headers, ("complete", "streaming", "error", "stopped"), strict=True):
        header.figures = ReplyFigures(status=status)
    line = tabs_text(headers, selected=1, width=78).plain
    assert len(line) <= 78
    assert " 1 deepseek/de… ✓ " in line and " 2 openai/gpt-… ↓ " in line, line
    assert " 3 meta-llama/… ✖ " in line and " 4 qwen/qwen-2… ■ " in line, line
    wide = tabs_text(headers[:2], selected=0, width=160).plain
    assert " 1 deepseek/deepseek-chat-v3 · complete " in wide and " 2 openai/gpt-4o-mini · streaming " in wide


async def test_the_compare_picker_marks_the_best_match_of_a_new_filter_in_the_order_marked() -> None:
    from textual.app import App
    from textual.widgets import Input

    from toki_tui.core.api.model_info import ModelInfo
    from toki_tui.ui.screens.compare_picker import ComparePickerScreen

    ids = ["a/one", "b/two", "c/three", "free/model", "z/last"]
    picker = ComparePickerScreen([ModelInfo(id=model) for model in ids])
    app: App[None] = App()
    async with app.run_test() as pilot:
        await app.push_screen(picker)
        await pilot.press("down", "down", "space")  # the third row: c/three
        assert picker.marked == ["c/three"]
        # A filter puts its best match first and highlights it, even with the highlight further down before:
        # Space marks free/model, not the row that took the old highlight's place ("free" typed as an id).
        picker.query_one(Input).value = "free"
        await pilot.pause()
        await pilot.press("space")
        assert picker.marked == ["c/three", "free/model"]
        picker.query_one(Input).value = "one"
        await pilot.pause()
        await pilot.press("space", "enter")
    assert picker.marked == ["c/three", "free/model", "a/one"]


PRICE = Price(0.27, 1.1, "config")
ESTIMATE = 0.00082  # 1,000 x 0.27 + 500 x 1.10, per million


def _run(model: str, *, status: str, usage: Usage | None) -> ReplyRun:
    """A compare column's run as figures_of reads it."""
    reply = ReplyAccumulator(time.monotonic)
    reply.usage = usage
    fields = {"model": model, "reply": reply, "reply_status": status, "cost": None, "cost_reported": False}
    return cast(ReplyRun, SimpleNamespace(price=None, **fields))


def test_compare_headers_price_with_the_session_lookup_and_show_what_was_stored() -> None:
    prices: dict[str, Price] = {}
    usage = Usage(prompt_tokens=1_000, completion_tokens=500)
    streaming = _run("m", status="streaming", usage=usage)
    assert figures_of(streaming, prices.get).cost == "cost unknown"
    prices["m"] = PRICE  # the model list arrives while the replies stream: the header prices as the store will
    assert figures_of(streaming, prices.get).cost == "≈$0.00082"
    ended = _run("m", status="complete", usage=usage)
    ended.cost, ended.price = ESTIMATE, PRICE  # what ReplyRun._price stored when it ended
    prices.clear()  # whatever the lookup says later, the header shows the stored cost
    assert figures_of(ended, prices.get).cost == "≈$0.00082"
    charged = _run("m", status="streaming", usage=Usage(prompt_tokens=1, completion_tokens=2, cost=0.0042))
    assert figures_of(charged, prices.get).cost == "$0.0042"
