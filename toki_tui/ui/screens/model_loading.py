"""The model list for the picker: the cache and the config's models at once, then the server's in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from toki_tui.core.api.model_cache import load_cached_models, save_cached_models
from toki_tui.core.api.model_info import ModelInfo, ModelList
from toki_tui.core.errors import APIError

if TYPE_CHECKING:
    from toki_tui.core.api.client import ChatClient


def merge_models(*sources: Iterable[ModelInfo]) -> list[ModelInfo]:
    """Models from every source, first occurrence of an id winning, sorted by id."""
    merged: dict[str, ModelInfo] = {}
    for source in sources:
        for model in source:
            merged.setdefault(model.id, model)
    return sorted(merged.values(), key=lambda model: model.id)


def known_models(cache_dir: Path, endpoint_name: str, configured: Iterable[str], current: str) -> list[ModelInfo]:
    """What can be offered without the network: the cache, the config's model ids and the current model."""
    extra = [ModelInfo(id=model_id) for model_id in (*configured, current) if model_id]
    return merge_models(load_cached_models(cache_dir, endpoint_name), extra)


async def fetch_models(client: ChatClient, cache_dir: Path, endpoint_name: str) -> ModelList:
    """The server's list (its `note` says when it was cut), saved to the cache. Raises APIError when the server
    cannot be asked or its answer cannot be read."""
    models = await client.list_models()
    if not models:
        raise APIError("the server listed no models")
    await asyncio.to_thread(save_cached_models, cache_dir, endpoint_name, models)  # a file write: off the loop
    return models
