"""Pure builders for the bytes a Chat Completions server streams: SSE framing and chunk objects.

Everything here returns plain dicts or bytes, so a test can assemble any framing fault by hand and feed it to
`raw_stream()`. Chunk shapes follow openai-python's `ChatCompletionChunk` (docs/protocol.md §2.2); the error forms
follow docs/protocol.md §2.7.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

DEFAULT_MODEL = "deepseek/deepseek-chat-v3"
COMPLETION_ID = "chatcmpl-fake0001"
CREATED = 1714000000

ErrorForm = Literal["openai", "openrouter", "vllm", "event", "event_text", "not_json"]
ERROR_FORMS: tuple[ErrorForm, ...] = ("openai", "openrouter", "vllm", "event", "event_text", "not_json")

DONE_EVENT = b"data: [DONE]\n\n"


def dumps(value: Any) -> str:
    """Compact JSON that keeps non-ASCII text as UTF-8 (so U+2028 and split characters are real on the wire)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse_event(
    data: str | Mapping[str, Any] | list[Any],
    *,
    event: str | None = None,
    no_space: bool = False,
    line_ending: str = "\n",
    event_id: str | None = None,
) -> bytes:
    """One SSE event: optional `event:`/`id:` lines, one `data:` line per line of `data`, then a blank line."""
    text = data if isinstance(data, str) else dumps(data)
    separator = ":" if no_space else ": "
    lines: list[str] = []
    if event is not None:
        lines.append(f"event{separator}{event}")
    if event_id is not None:
        lines.append(f"id{separator}{event_id}")
    # Only real newlines split `data`; U+2028 inside JSON must stay on its line (docs/protocol.md §6.7).
    lines.extend(f"data{separator}{line}" for line in text.split("\n"))
    # A lone surrogate (which a server's JSON can carry as a `\\ud800` escape) goes out as that escape: UTF-8 cannot
    # hold it, and "backslashreplace" writes exactly the JSON escape.
    return (line_ending.join(lines) + line_ending + line_ending).encode("utf-8", "backslashreplace")


def sse_comment(text: str = "keep-alive", *, line_ending: str = "\n") -> bytes:
    """A comment line (`: keep-alive`, `: OPENROUTER PROCESSING`) followed by a blank line."""
    return f": {text}{line_ending}{line_ending}".encode()


def done_event(*, no_space: bool = False, line_ending: str = "\n") -> bytes:
    return sse_event("[DONE]", no_space=no_space, line_ending=line_ending)


def usage_dict(prompt_tokens: int, completion_tokens: int, *, reasoning_tokens: int | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    return usage


def chunk(
    choices: list[dict[str, Any]],
    *,
    model: str = DEFAULT_MODEL,
    completion_id: str = COMPLETION_ID,
    created: int = CREATED,
    **extra: Any,
) -> dict[str, Any]:
    """A `chat.completion.chunk` object; `extra` adds top-level keys such as `usage` or `error`."""
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": choices,
        **extra,
    }


def choice(delta: Mapping[str, Any] | None, *, index: int = 0, finish_reason: str | None = None) -> dict[str, Any]:
    """One `choices[]` entry; `delta=None` leaves the key out entirely (a fault some servers commit)."""
    entry: dict[str, Any] = {"index": index}
    if delta is not None:
        entry["delta"] = dict(delta)
    entry["logprobs"] = None
    entry["finish_reason"] = finish_reason
    return entry


def content_chunk(text: str, *, index: int = 0, finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
    return chunk([choice({"content": text}, index=index, finish_reason=finish_reason)], **extra)


def role_chunk(*, index: int = 0, **extra: Any) -> dict[str, Any]:
    """OpenAI's first chunk: the role, an empty content string and a null refusal."""
    return chunk([choice({"role": "assistant", "content": "", "refusal": None}, index=index)], **extra)


def finish_chunk(finish_reason: str = "stop", *, index: int = 0, **extra: Any) -> dict[str, Any]:
    return chunk([choice({}, index=index, finish_reason=finish_reason)], **extra)


def usage_chunk(usage: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The `include_usage` chunk: `choices` is always empty (docs/protocol.md §2.3)."""
    return chunk([], usage=dict(usage), **extra)


def azure_prefilter_chunk() -> dict[str, Any]:
    """Azure's first chunk: no choices, only prompt filter results (docs/protocol.md §2.3)."""
    return {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }


def error_event(
    form: ErrorForm,
    message: str = "Provider disconnected",
    *,
    code: str | int | None = "server_error",
    model: str = DEFAULT_MODEL,
) -> bytes:
    """A mid-stream error in one of the shapes of docs/protocol.md §2.7 / §6.11, as SSE bytes.

    - `openai`: `data: {"error": {"message", "type"}}` (code may be int or str; omitted when None)
    - `openrouter`: a chunk with a top-level `error` AND a choice with `finish_reason: "error"`
    - `vllm`: `{"object": "error", "message": ...}` with no `error` wrapper
    - `event`: `event: error` with a JSON `{"error": {...}}` data line
    - `event_text`: `event: error` with plain-text data
    - `not_json`: `data: error: <message>` (crane-serve), neither JSON nor `[DONE]`
    """
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["code"] = code
    if form == "openai":
        return sse_event({"error": {"message": message, "type": "server_error", "param": None, "code": code}})
    if form == "openrouter":
        return sse_event(
            chunk(
                [choice({"content": ""}, finish_reason="error")],
                model=model,
                provider="openai",
                error=error,
            )
        )
    if form == "vllm":
        return sse_event({"object": "error", "message": message, "type": "InternalServerError", "code": 500})
    if form == "event":
        return sse_event({"error": error}, event="error")
    if form == "event_text":
        return sse_event(message, event="error")
    return sse_event(f"error: {message}")


def openai_error_body(
    message: str, *, type: str | None = "invalid_request_error", code: str | int | None = None
) -> dict[str, Any]:
    """`{"error": {"message", "type", "param", "code"}}`, the shape OpenAI and TOKI document (§1.3)."""
    error: dict[str, Any] = {"message": message}
    if type is not None:
        error["type"] = type
    error["param"] = None
    error["code"] = code
    return {"error": error}
