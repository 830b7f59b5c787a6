"""The model picker (background load, cache, offline fallback, fuzzy filter, prices) and the layout at two sizes."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.fakes.server import FakeServer, error_reply, models_reply, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until
from toki_tui.core.api.model_cache import load_cached_models
from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.config.config_file import Config, EndpointConfig
from toki_tui.ui.screens.model_picker import ModelPickerScreen, format_price, rank_models
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar


def test_price_is_unknown_when_missing_or_negative() -> None:
    assert format_price(ModelInfo(id="a")) == "price unknown"
    assert format_price(ModelInfo(id="a", prompt_price_per_million=0.5)) == "$0.50 in / unknown out per 1M"
    assert format_price(ModelInfo(id="a", prompt_price_per_million=0, completion_price_per_million=2)) == (
        "free in / $2.00 out per 1M"
    )


def test_fuzzy_ranking_prefers_the_tightest_match() -> None:
    models = [ModelInfo(id="openai/gpt-4o-mini"), ModelInfo(id="deepseek/deepseek-chat"), ModelInfo(id="x/g-p-t")]
    ranked = [model.id for model, _ in rank_models(models, "gpt4")]
    assert ranked[0] == "openai/gpt-4o-mini"
    assert "deepseek/deepseek-chat" not in ranked


async def test_picker_lists_server_models_with_context_and_price_then_applies_the_choice(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script_models(models_reply("openrouter"))
    fake_server.script(stream_text("hi"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: harness.screen.models_note == "" and len(harness.screen.models) > 2)
        # The list was cached for the next start and for offline use.
        assert {m.id for m in load_cached_models(tmp_path / "cache", "toki")} == {m.id for m in harness.screen.models}
        await pilot.press("ctrl+o")
        picker = harness.app.screen
        assert isinstance(picker, ModelPickerScreen)
        router = next(m for m in harness.screen.models if m.prompt_price_per_million is None)
        priced = next(m for m in harness.screen.models if m.prompt_price_per_million is not None)
        assert priced.context_length is not None
        await enter_text(pilot, priced.id.split("/")[-1][:6])
        assert picker.shown_model_ids[0] == priced.id
        assert router.id != priced.id
        await pilot.press("enter")
        assert not isinstance(harness.app.screen, ModelPickerScreen)
        assert harness.screen.session.model == priced.id
        await enter_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        assert fake_server.chat_requests()[0].json()["model"] == priced.id


async def test_offline_the_picker_offers_the_cache_and_the_config_models(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script_models(error_reply(503, "down for maintenance"))
    from toki_tui.core.api.model_cache import save_cached_models

    save_cached_models(tmp_path / "cache", "toki", [ModelInfo(id="cached/model-a", context_length=8192)])
    config = Config(
        endpoints={"toki": EndpointConfig(name="toki", base_url=fake_server.base_url, models=("config/model-b",))}
    )
    harness = make_app(tmp_path, fake_server, config=config)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: harness.screen.models_note.startswith("Offline"))
        await pilot.press("ctrl+o")
        picker = harness.app.screen
        assert isinstance(picker, ModelPickerScreen)
        assert {"cached/model-a", "config/model-b"} <= set(picker.shown_model_ids)
        # A model the list does not know can still be typed.
        await enter_text(pilot, "my-own-model-xyz")
        await pilot.press("enter")
        assert harness.screen.session.model == "my-own-model-xyz"


async def test_the_picker_does_not_delay_start_up(tmp_path: Path, fake_server: FakeServer) -> None:
    from tests.fakes.server import hang

    fake_server.script_models(hang(3.0))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        # The prompt answers while /models is still hanging.
        await enter_text(pilot, "typing")
        assert harness.app.focused is not None and harness.app.focused.id == "prompt"
        assert harness.screen.models_note.startswith("Loading")


async def test_a_picker_opened_at_once_lists_the_cached_models_while_the_server_answers(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    """Ctrl+O right after start: the cache and the config's models are read during start-up, after the first
    frame; a picker already open gets them then, not only when the (slow) server answers."""
    from tests.fakes.server import hang
    from toki_tui.core.api.model_cache import save_cached_models

    save_cached_models(tmp_path / "cache", "toki", [ModelInfo(id="cached/one"), ModelInfo(id="cached/two")])
    fake_server.script_models(hang(3.0))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ModelPickerScreen))
        picker = harness.app.screen
        assert isinstance(picker, ModelPickerScreen)
        await wait_until(pilot, lambda: {"cached/one", "cached/two"} <= set(picker.shown_model_ids))
        assert harness.screen.models_note.startswith("Loading")  # the server has not answered


async def test_with_no_room_for_both_sidebars_the_one_opened_last_shows(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    """At 60 columns two 30-column sidebars left the prompt no width, and the app crashed laying it out."""
    from toki_tui.ui.screens.sidebar_layout import MIN_CONVERSATION_WIDTH

    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(60, 24)) as pilot:
        await harness.ready(pilot)
        screen = harness.screen
        for key, shown, hidden in (("ctrl+b", "history", "params"), ("f2", "params", "history")):
            await pilot.press(key)
            await pilot.pause()
            assert not screen.has_class(f"-hide-{shown}") and screen.has_class(f"-hide-{hidden}"), key
            assert screen.query_one("#prompt").region.width >= MIN_CONVERSATION_WIDTH
        await pilot.press("ctrl+b")  # wanted again: it comes back, in place of the parameters
        await pilot.pause()
        assert not screen.has_class("-hide-history") and screen.has_class("-hide-params")
        await pilot.resize_terminal(120, 24)  # room for both: both show
        await pilot.pause()
        assert not screen.has_class("-hide-history") and not screen.has_class("-hide-params")


async def test_sidebars_collapse_at_80x24_and_show_at_200x60(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        screen = harness.app.screen
        assert not screen.query_one(HistoryList).display or screen.has_class("-hide-history")
        assert screen.has_class("-hide-params") and screen.has_class("-hide-history")
        assert screen.query_one("#prompt").region.height >= 2
        assert screen.query_one("#conversation").region.width >= 78
        await pilot.press("ctrl+b")
        assert not screen.has_class("-hide-history")
        await pilot.press("ctrl+b")
        await pilot.press("f2")
        assert not screen.has_class("-hide-params")
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert not screen.has_class("-hide-params")
    harness = make_app(tmp_path / "wide", fake_server)
    async with harness.app.run_test(size=(200, 60)) as pilot:
        screen = harness.app.screen
        assert not screen.has_class("-hide-history") and not screen.has_class("-hide-params")
        assert screen.query_one(ParameterSidebar).region.width > 0
        assert screen.query_one(HistoryList).region.width > 0
        assert screen.query_one("#conversation").region.width >= 100


async def test_save_as_default_writes_the_config(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50)) as pilot:
        await harness.ready(pilot)
        harness.app.screen.query_one("#param-top_p", Input).focus()
        await enter_text(pilot, "0.9")
        await pilot.click("#param-save-default")
        await pilot.pause()
    text = harness.config_file.read_text()
    assert "top_p = 0.9" in text
    assert harness.config_file.stat().st_mode & 0o777 == 0o600
