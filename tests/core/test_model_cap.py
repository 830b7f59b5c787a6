"""The number of models kept from one list is capped, and the list says it was cut."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TEST_API_KEY
from tests.fakes.server import FakeServer, models_reply
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.model_cache import load_cached_models, save_cached_models
from toki_tui.core.api.model_info import MAX_MODELS, ModelInfo, parse_models


def test_a_long_list_is_cut_and_says_so() -> None:
    body = {"data": [{"id": f"m-{i:03d}"} for i in range(30)]}
    models = parse_models(body, limit=10)
    assert [model.id for model in models] == [f"m-{i:03d}" for i in range(10)]
    assert models.truncated and models.listed == 30
    assert (
        models.note == "the server listed 30 models; toki keeps only the first 10 (type a full model id to use another)"
    )


def test_duplicates_and_junk_entries_do_not_count_as_cut() -> None:
    models = parse_models({"data": [{"id": "a"}, {"id": "a"}, 7, {"id": ""}, "b"]}, limit=10)
    assert [model.id for model in models] == ["a", "b"]
    assert not models.truncated and models.note == ""


async def test_the_client_keeps_at_most_max_models(fake_server: FakeServer) -> None:
    fake_server.script_models(models_reply("ids_only", [f"vendor/model-{i:06d}" for i in range(MAX_MODELS + 5)]))
    client = ChatClient(base_url=fake_server.base_url, api_key=TEST_API_KEY)
    try:
        models = await client.list_models()
    finally:
        await client.aclose()
    assert len(models) == MAX_MODELS and models.listed == MAX_MODELS + 5
    assert models.note.startswith(f"the server listed {MAX_MODELS + 5:,} models; toki keeps only the first 20,000")


def test_the_cache_keeps_at_most_max_models(tmp_path: Path) -> None:
    save_cached_models(tmp_path, "toki", [ModelInfo(id=f"m{i}") for i in range(MAX_MODELS + 3)])
    assert len(load_cached_models(tmp_path, "toki")) == MAX_MODELS
