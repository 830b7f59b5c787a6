"""Models from `GET /models`, read leniently (docs/protocol.md §4): only `data[].id` is required.

OpenAI gives ids only; OpenRouter adds `context_length` and per-token USD prices as decimal strings, with "-1"
meaning "dynamic pricing" for router pseudo-models; other servers give prices per million tokens. TOKI's own shape
is undocumented, so anything goes. This is the one place that reads `/models` entries; the price values are
checked by core/pricing.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from toki_tui.core.api.chunks import excerpt
from toki_tui.core.errors import APIError
from toki_tui.core.pricing import Price, checked_per_million, per_million_from_per_token, server_price


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    name: str | None = None
    context_length: int | None = None
    prompt_price_per_million: float | None = None
    """USD per million prompt tokens; None when unknown (missing, negative or not a number)."""
    completion_price_per_million: float | None = None
    owned_by: str | None = None

    @property
    def price(self) -> Price | None:
        """The server's price for this model, when it gives both halves (checked again: a cache file may have
        been edited)."""
        return server_price(self.prompt_price_per_million, self.completion_price_per_million)

    def to_record(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ModelInfo:
        return cls(**{key: record.get(key) for key in cls.__dataclass_fields__})  # type: ignore[arg-type]


def with_configured_prices(models: Iterable[ModelInfo], prices: Mapping[str, Price]) -> list[ModelInfo]:
    """The models as a user should see them listed: a model the config prices (`[models."ID"]`) shows that price
    in place of the server's, since it is the one its replies are costed at (pricing.PriceBook)."""
    return [
        model
        if (price := prices.get(model.id)) is None
        else replace(
            model,
            prompt_price_per_million=price.input_per_million,
            completion_price_per_million=price.output_per_million,
        )
        for model in models
    ]


MAX_CONTEXT_TOKENS = 1_000_000_000
"""A context length above this (the longest real ones are around 10 million tokens) is read as unknown: a server
that says 10^30 must not fill a column of `toki models` with digits."""


def _context_length(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        number = int(value)  # isdigit alone takes "²", which int() refuses
    return number if number is not None and 0 < number <= MAX_CONTEXT_TOKENS else None


def price_per_million(value: object) -> float | None:
    """A per-token price (string or number) as USD per million tokens; None for unknown or the -1 sentinel."""
    return per_million_from_per_token(value)


_PER_MILLION_FIELDS = (
    ("input_price_per_million", "output_price_per_million"),
    ("prompt_price_per_million", "completion_price_per_million"),
)
"""Per-million price fields, looked for in `pricing` and then in the entry itself (docs/protocol.md §4)."""


def _prices(entry: dict[str, Any]) -> tuple[float | None, float | None]:
    """(input, output) per million tokens from the first price shape the entry uses; None for a half unknown."""
    pricing = entry.get("pricing")
    tables = [pricing, entry] if isinstance(pricing, dict) else [entry]
    if isinstance(pricing, dict):
        if "prompt" in pricing or "completion" in pricing:  # OpenRouter: per token
            return price_per_million(pricing.get("prompt")), price_per_million(pricing.get("completion"))
        if "input" in pricing or "output" in pricing:  # per million, as {"input": 0.27, "output": 1.1}
            return checked_per_million(pricing.get("input")), checked_per_million(pricing.get("output"))
    for table in tables:
        for input_key, output_key in _PER_MILLION_FIELDS:
            if input_key in table or output_key in table:
                return checked_per_million(table.get(input_key)), checked_per_million(table.get(output_key))
    return None, None


def _model_from(entry: object) -> ModelInfo | None:
    if isinstance(entry, str) and entry.strip():
        return ModelInfo(id=entry)
    if not isinstance(entry, dict):
        return None
    model_id = entry.get("id") or entry.get("model") or entry.get("name")
    if not isinstance(model_id, str) or not model_id.strip():  # a blank id could be neither shown nor picked
        return None
    context = _context_length(entry.get("context_length"))
    top_provider = entry.get("top_provider")
    if context is None and isinstance(top_provider, dict):
        context = _context_length(top_provider.get("context_length"))
    for field in ("max_context_length", "context_window", "max_model_len"):  # LM Studio, Groq, vLLM
        if context is None:
            context = _context_length(entry.get(field))
    prompt_price, completion_price = _prices(entry)
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


MAX_MODELS = 20_000
"""Models kept from one list. The largest real lists hold a few thousand (OpenRouter ~400, aggregators a few
thousand); 20,000 keeps all of them with room to spare, while a hostile list of hundreds of thousands of ids cannot
bloat the cache file and every screen that shows the list. Any id can still be typed into the picker."""


class ModelList(list[ModelInfo]):
    """The models kept, sorted by id; `listed` is how many entries the server sent (more than len() when cut)."""

    listed: int = 0

    @property
    def truncated(self) -> bool:
        return self.listed > len(self)

    @property
    def note(self) -> str:
        """A line saying the list was cut, or "" when it was not."""
        if not self.truncated:
            return ""
        return (
            f"the server listed {self.listed:,} models; toki keeps only the first {len(self):,} "
            "(type a full model id to use another)"
        )


def cap_models(models: list[ModelInfo], listed: int | None = None, limit: int = MAX_MODELS) -> ModelList:
    """At most `limit` models as a ModelList, in the order given; `listed` defaults to len(models)."""
    kept = ModelList(models[:limit])
    kept.listed = len(models) if listed is None else listed
    return kept


def parse_models(body: object, limit: int = MAX_MODELS) -> ModelList:
    """Models from any plausible /models body: `{"data": [...]}`, `{"models": [...]}` or a bare list."""
    entries: object
    if isinstance(body, list):
        entries = body
    elif isinstance(body, dict):
        entries = body.get("data", body.get("models"))
        error = body.get("error")
        if entries is None and error:
            # LM Studio answers an unknown path with 200 and {"error": "Unexpected endpoint or method..."}.
            message = error.get("message") if isinstance(error, dict) else error
            text = message if isinstance(message, str) else json.dumps(error)
            raise APIError(f"the server answered the model list with an error: {excerpt(text)}")
        if entries is None:
            raise APIError("the model list has no 'data' field; is the base URL right?")
    else:
        raise APIError("the model list is empty or not a JSON object")
    if not isinstance(entries, list):
        raise APIError("the model list's 'data' field is not a list")
    models: dict[str, ModelInfo] = {}
    listed: int | None = None
    for position, entry in enumerate(entries):
        if len(models) >= limit:
            listed = len(entries) - position + len(models)  # the rest is counted, not parsed
            break
        model = _model_from(entry)
        if model is not None and model.id not in models:
            models[model.id] = model
    return cap_models(sorted(models.values(), key=lambda model: model.id), listed=listed)
