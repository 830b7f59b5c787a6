"""`GET /v1/models` bodies in every shape the client must tolerate (docs/protocol.md §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from tests.fakes.chunks import CREATED
from tests.fakes.replies import Reply, json_reply

ModelsShape = Literal["openai", "openrouter", "bare_list", "missing_data", "empty", "ids_only", "not_json"]

DEFAULT_MODEL_IDS: tuple[str, ...] = (
    "deepseek/deepseek-chat-v3",
    "openai/gpt-4o-mini",
    "meta-llama/llama-3.1-8b-instruct",
)
# Router pseudo-model whose prices are OpenRouter's "-1" dynamic-pricing sentinel.
ROUTER_MODEL_ID = "openrouter/auto"

# context_length, prompt $/token, completion $/token (OpenRouter sends prices as decimal strings).
_OPENROUTER_FACTS: dict[str, tuple[int, str, str]] = {
    "deepseek/deepseek-chat-v3": (163840, "0.00000027", "0.0000011"),
    "openai/gpt-4o-mini": (128000, "0.00000015", "0.0000006"),
    "meta-llama/llama-3.1-8b-instruct": (131072, "0.00000002", "0.00000005"),
    ROUTER_MODEL_ID: (2000000, "-1", "-1"),
}


def openai_model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": model_id.partition("/")[0] or "toki"}


def openrouter_model(model_id: str) -> dict[str, Any]:
    context_length, prompt, completion = _OPENROUTER_FACTS.get(model_id, (32768, "0.000001", "0.000002"))
    vendor, _, name = model_id.partition("/")
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "name": f"{vendor.title()}: {name or model_id}",
        "created": CREATED,
        "description": f"Fake entry for {model_id}.",
        "context_length": context_length,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0"},
        "top_provider": {"context_length": context_length, "max_completion_tokens": 16384, "is_moderated": False},
        "per_request_limits": None,
        "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "tools", "tool_choice"],
    }


def models_body(
    shape: ModelsShape = "openai",
    ids: Sequence[str] | None = None,
    *,
    details: Mapping[str, Mapping[str, Any]] | None = None,
) -> Any:
    """The JSON for a models list. For "openrouter" the default ids include the "-1"-priced router model.
    `details` merges extra or replacement fields into the entry of a given id."""
    if ids is None:
        ids = (*DEFAULT_MODEL_IDS, ROUTER_MODEL_ID) if shape == "openrouter" else DEFAULT_MODEL_IDS
    make = openrouter_model if shape == "openrouter" else openai_model
    entries = [{**make(model_id), **dict((details or {}).get(model_id, {}))} for model_id in ids]
    if shape == "openai":
        return {"object": "list", "data": entries}
    if shape == "openrouter":
        return {"data": entries}
    if shape == "bare_list":
        return entries
    if shape == "missing_data":
        return {"object": "list"}
    if shape == "empty":
        return {"object": "list", "data": []}
    if shape == "ids_only":
        return {"data": [{"id": model_id} for model_id in ids]}
    return "<html><body>models are resting</body></html>"


def models_reply(
    shape: ModelsShape = "openai",
    ids: Sequence[str] | None = None,
    *,
    details: Mapping[str, Mapping[str, Any]] | None = None,
    status: int = 200,
) -> Reply:
    """A `GET /models` reply; "not_json" serves an HTML page with status 200."""
    body = models_body(shape, ids, details=details)
    content_type = "text/html" if shape == "not_json" else "application/json"
    return json_reply(body, status=status, content_type=content_type)
