"""The TUI against a hostile server: ids that look like markup in the picker, a list of many models, JSON
nested to crash a parser, and an endless reply. Each ends in a readable state, never a traceback."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from tests.fakes.hostile import deep_json_stream, endless_stream
from tests.fakes.server import FakeServer, models_reply
from tests.ui.app_support import enter_text, make_app, wait_until
from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.api.reply_limit import reply_limit_message
from toki_tui.ui.screens.model_picker import ModelPickerScreen
from toki_tui.ui.screens.model_ranking import MAX_SHOWN, ModelIndex

COUNT = 30_000
"""Enough to need the "keep typing" line; the speed at 200,000 is measured by bench_model_picker.py."""
MARKUP_IDS = ["x[/]y", "[@click=app.quit]", "[bold]b[/bold]", "[link=https://e.test]l[/link]"]


def shown_prompts(picker: ModelPickerScreen) -> list[str]:
    options = picker.query_one("#picker-options", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_ids_that_look_like_markup_show_literally_and_filter(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script_models(models_reply("ids_only", MARKUP_IDS))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: harness.screen.model_choice.note == "" and len(harness.screen.models) > 2)
        await pilot.press("ctrl+o")
        picker = harness.app.screen
        assert isinstance(picker, ModelPickerScreen)
        assert set(MARKUP_IDS) <= set(picker.shown_model_ids)
        await enter_text(pilot, "x")  # the old picker crashed here: it highlighted the id as markup
        await pilot.pause()
        assert picker.shown_model_ids == ["x[/]y"]
        assert shown_prompts(picker)[0].startswith("x[/]y")
        await pilot.press("backspace")
        await enter_text(pilot, "click")
        await pilot.pause()
        assert picker.shown_model_ids == ["[@click=app.quit]"]
        assert shown_prompts(picker)[0].startswith("[@click=app.quit]")
        await pilot.press("enter")
        assert harness.screen.session.model == "[@click=app.quit]"
        assert harness.app.is_running


def test_the_ranking_shows_the_best_rows_and_counts_the_rest() -> None:
    models = [ModelInfo(id=f"vendor-{i % 7}/model-{i:06d}") for i in range(COUNT)]
    index = ModelIndex(models)
    everything = index.rank("")
    assert len(everything.models) == MAX_SHOWN and everything.more == COUNT - MAX_SHOWN
    some = index.rank("v")
    assert some.matched == COUNT and len(some.models) == MAX_SHOWN
    exact = index.rank("model-012345")
    assert [model.id for model in exact.models] == [f"vendor-{12345 % 7}/model-012345"] and exact.more == 0
    # Whole-substring matches first (in list order), then scattered ones ("model-0[1]0234" has 0, 1, 2, 3, 4).
    ranked = [model.id for model in index.rank("model-01234").models]
    assert ranked[:10] == [f"vendor-{i % 7}/model-{i:06d}" for i in range(12340, 12350)]
    assert f"vendor-{10234 % 7}/model-010234" in ranked[10:]
    assert index.rank("zzz").models == []


async def test_a_picker_of_many_models_shows_the_best_and_a_keep_typing_line(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    models = [ModelInfo(id=f"vendor-{i % 7}/model-{i:06d}") for i in range(COUNT)]
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: harness.screen.model_choice.note == "")  # no later update replaces the list
        picker = ModelPickerScreen(models, current_model="vendor-4/model-029999")
        await harness.app.push_screen(picker)
        await pilot.pause()
        assert picker.shown_model_ids[0] == "vendor-4/model-029999"  # the current model, though far down
        assert len(picker.shown_model_ids) == MAX_SHOWN
        assert shown_prompts(picker)[-1] == f"{COUNT - MAX_SHOWN:,} more — keep typing to narrow the list"
        await enter_text(pilot, "model-029998")
        await pilot.pause()
        assert picker.shown_model_ids == [f"vendor-{29998 % 7}/model-029998"]
        assert not shown_prompts(picker)[-1].endswith("keep typing to narrow the list")


async def test_deep_json_in_a_chunk_ends_the_reply_with_an_error_and_keeps_the_text(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script(deep_json_stream(100_000))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "hi")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        reply = harness.store.branch(conversation_id)[-1]
        assert (reply.status, reply.content) == ("error", "Before the bomb. ")
        assert reply.error is not None and "nested more than 128 levels deep" in reply.error


async def test_an_endless_reply_stops_at_the_limit_with_the_reason(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(endless_stream("0123456789"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        harness.app.client.max_reply_chars = 5000
        await enter_text(pilot, "go")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        reply = harness.store.branch(conversation_id)[-1]
        assert (reply.status, reply.content) == ("length", "0123456789" * 500)
        assert reply.error == reply_limit_message(5000)
        from toki_tui.ui.widgets.status_line import StatusLine

        assert harness.app.screen.query_one(StatusLine).state == "cut short"
