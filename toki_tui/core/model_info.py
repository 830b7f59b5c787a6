"""Models from `GET /models`, read leniently (docs/protocol.md §4): only `data[].id` is required.

OpenAI gives ids only; OpenRouter adds `context_length` and per-token USD prices as decimal strings, with "-1"
meaning "dynamic pricing" for router pseudo-models. TOKI's own shape is undocumented, so anything goes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from toki_tui.core.errors import APIError


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    name: str | None = None
    context_length: int | None = None
    prompt_price_per_million: float | None = None
    """USD per million prompt tokens; None when unknown (missing, negative or not a number)."""
    completion_price_per_million: float | None = None
    owned_by: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ModelInfo:
        return cls(**{key: record.get(key) for key in cls.__dataclass_fields__})  # type: ignore[arg-type]


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value) or None
    return None


def price_per_million(value: object) -> float | None:
    """A per-token price (string or number) as USD per million tokens; None for unknown or the -1 sentinel."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    # Rounded: "0.00000005" * 1e6 is 0.049999999999999996 in binary floating point.
    return round(number * 1_000_000, 6)


def _model_from(entry: object) -> ModelInfo | None:
    if isinstance(entry, str) and entry:
        return ModelInfo(id=entry)
    if not isinstance(entry, dict):
        return None
    model_id = entry.get("id") or entry.get("model") or entry.get("name")
    if not isinstance(model_id, str) or not model_id:
        return None
    context = _positive_int(entry.get("context_length"))
    top_provider = entry.get("top_provider")
    if context is None and isinstance(top_provider, dict):
        context = _positive_int(top_provider.get("context_length"))
    if context is None:
        context = _positive_int(entry.get("max_context_length") or entry.get("context_window"))
    pricing = entry.get("pricing")
    prompt_price = completion_price = None
    if isinstance(pricing, dict):
        prompt_price = price_per_million(pricing.get("prompt"))
        completion_price = price_per_million(pricing.get("completion"))
    name = entry.get("name")
    owner = entry.get("owned_by")
    return ModelInfo(
        id=model_id,
        name=name if isinstance(name, str) and name != model_id else None,
        context_length=context,
        prompt_price_per_million=prompt_price,
        completion_price_per_million=completion_price,
        owned_by=owner if isinstance(owner, str) else None,
    )


def parse_models(body: object) -> list[ModelInfo]:
    """Models from any plausible /models body: `{"data": [...]}`, `{"models": [...]}` or a bare list."""
    entries: object
    if isinstance(body, list):
        entries = body
    elif isinstance(body, dict):
        entries = body.get("data", body.get("models"))
        if entries is None:
            raise APIError("the model list has no 'data' field; is the base URL right?")
    else:
        raise APIError("the model list is empty or not a JSON object")
    if not isinstance(entries, list):
        raise APIError("the model list's 'data' field is not a list")
    models: dict[str, ModelInfo] = {}
    for entry in entries:
        model = _model_from(entry)
        if model is not None and model.id not in models:
            models[model.id] = model
    return sorted(models.values(), key=lambda model: model.id)
