"""A per-endpoint cache of the model list, so the picker opens instantly and works offline."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

from toki_tui.core.model_info import ModelInfo

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _cache_file(cache_dir: Path, endpoint_name: str) -> Path:
    # Endpoint names come from the config; never use them raw as file names.
    return cache_dir / f"models-{_SAFE_NAME.sub('_', endpoint_name)}.json"


def load_cached_models(cache_dir: Path, endpoint_name: str) -> list[ModelInfo]:
    """The cached list, or [] when there is none or it is unreadable (a cache is never worth an error)."""
    try:
        raw = json.loads(_cache_file(cache_dir, endpoint_name).read_text(encoding="utf-8"))
        return [ModelInfo.from_record(item) for item in raw["models"] if isinstance(item, dict) and item.get("id")]
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
