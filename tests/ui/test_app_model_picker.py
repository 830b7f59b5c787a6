"""The model picker: background load, cache, offline fallback, fuzzy filter, prices."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from tests.fakes.server import FakeServer, error_reply, models_reply, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until
from toki_tui.core.api.model_cache import load_cached_models
from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.config.config_file import Config, EndpointConfig
from toki_tui.core.pricing import Price
from toki_tui.ui.screens.model_picker import ModelPickerScreen, format_price, rank_models


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
        await wait_until(pilot, lambda: harness.screen.model_choice.note == "" and len(harness.screen.models) > 2)
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
        endpoints={"toki": EndpointConfig(name="toki", base_url=fake_server.base_url, models=("config/model-b",))},
        model_prices={"config/model-b": Price(0.5, 2.0, "config")},
    )
    harness = make_app(tmp_path, fake_server, config=config)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: harness.screen.model_choice.note.startswith("Offline"))
        await pilot.press("ctrl+o")
        picker = harness.app.screen
        assert isinstance(picker, ModelPickerScreen)
        assert {"cached/model-a", "config/model-b"} <= set(picker.shown_model_ids)
        # The config's price is listed: the one the model's replies are costed at, not "price unknown".
        options = picker.query_one("#picker-options", OptionList)
        listed = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("config/model-b" in row and "$0.50 in / $2.00 out per 1M" in row for row in listed), listed
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
        assert harness.screen.model_choice.note.startswith("Loading")


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
        assert harness.screen.model_choice.note.startswith("Loading")  # the server has not answered
