"""A per-endpoint cache of the model list, so the picker opens instantly and works offline."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

from toki_tui.core.api.json_limits import loads
from toki_tui.core.api.model_info import MAX_MODELS, ModelInfo

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _cache_file(cache_dir: Path, endpoint_name: str) -> Path:
    # Endpoint names come from the config; never use them raw as file names.
    return cache_dir / f"models-{_SAFE_NAME.sub('_', endpoint_name)}.json"


_MAX_CACHE_BYTES = 32 * 1024 * 1024
"""A cache file holds at most MAX_MODELS short records (a few MB); anything much bigger was not written by toki
and is not worth the memory of reading it."""


def load_cached_models(cache_dir: Path, endpoint_name: str) -> list[ModelInfo]:
    """The cached list (at most MAX_MODELS), or [] when there is none or it is unreadable, too big or too deeply
    nested (a cache is never worth an error)."""
    try:
        with _cache_file(cache_dir, endpoint_name).open("rb") as handle:
            data = handle.read(_MAX_CACHE_BYTES + 1)
        if len(data) > _MAX_CACHE_BYTES:
            return []
        raw = loads(data)
        records = raw["models"]  # type: ignore[index]
        models = [
            ModelInfo.from_record(item) for item in records[:MAX_MODELS] if isinstance(item, dict) and item.get("id")
        ]
        return [model for model in models if isinstance(model.id, str)]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save_cached_models(cache_dir: Path, endpoint_name: str, models: list[ModelInfo]) -> None:
    """Write the list atomically; failures are ignored (the cache is an optimisation)."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"saved_at": time.time(), "models": [model.to_record() for model in models]})
        fd, temp_name = tempfile.mkstemp(dir=cache_dir, prefix=".models-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.replace(temp_name, _cache_file(cache_dir, endpoint_name))
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except OSError:
        pass
