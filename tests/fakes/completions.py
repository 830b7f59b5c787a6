"""Non-stream completions and the request-aware replies (echo, fixed text) that stream or not as asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tests.fakes.chunks import COMPLETION_ID, CREATED, DEFAULT_MODEL, usage_dict
from tests.fakes.recording import RecordedRequest
from tests.fakes.replies import Reply, dynamic, json_reply
from tests.fakes.streams import ReasoningField, as_tokens, stream_text


def completion_json(
    text: str | None = "Hello! This is the fake TOKI server.",
    *,
    model: str = DEFAULT_MODEL,
    finish_reason: str | None = "stop",
    reasoning: str | None = None,
    reasoning_field: ReasoningField = "reasoning_content",
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    usage: bool | Mapping[str, Any] = True,
    usage_extra: Mapping[str, Any] | None = None,
    prompt_tokens: int = 12,
    n: int = 1,
) -> dict[str, Any]:
    """A `chat.completion` object as in TOKI's overview page (§1.3); `usage_extra` adds keys to its usage (a
    router's charge: `{"cost": 0.0012}`)."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if reasoning is not None:
        message["reasoning" if reasoning_field == "reasoning" else "reasoning_content"] = reasoning
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": str(call.get("id", f"call_fake_{index}")),
                "type": "function",
                "function": {"name": call["name"], "arguments": call.get("arguments", "")},
            }
            for index, call in enumerate(tool_calls)
        ]
    completion_tokens = len(as_tokens(text or "")) + len(as_tokens(reasoning or ""))
    body: dict[str, Any] = {
        "id": COMPLETION_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {"index": index, "message": message, "logprobs": None, "finish_reason": finish_reason} for index in range(n)
        ],
    }
    if usage is not False:
        body["usage"] = dict(usage) if isinstance(usage, Mapping) else usage_dict(prompt_tokens, completion_tokens)
        body["usage"].update(usage_extra or {})
    return body


def completion_reply(text: str | None = "Hello! This is the fake TOKI server.", **kwargs: Any) -> Reply:
    """A non-stream completion with Content-Length (also usable as the "JSON although stream:true" fault)."""
    return json_reply(completion_json(text, **kwargs))


def request_payload(request: RecordedRequest) -> dict[str, Any]:
    try:
        payload = request.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def last_user_text(payload: Mapping[str, Any]) -> str:
    """The text of the last user message; content parts are joined (only their text parts)."""
    messages = payload.get("messages")
    for message in reversed(messages if isinstance(messages, list) else []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(
                str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text"
            )
    return "(no user message)"


def _answer(request: RecordedRequest, tokens: list[str], stream_options: Mapping[str, Any]) -> Reply:
    payload = request_payload(request)
    model = payload.get("model") if isinstance(payload.get("model"), str) else DEFAULT_MODEL
    finish_reason = "stop"
    max_tokens = payload.get("max_tokens") or payload.get("max_completion_tokens")
    if isinstance(max_tokens, int) and 0 < max_tokens < len(tokens):
        tokens, finish_reason = tokens[:max_tokens], "length"
    if payload.get("stream") is True:
        include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
        options: dict[str, Any] = {"usage": include_usage, "finish_reason": finish_reason, "model": model}
        options.update(stream_options)
        return stream_text(tokens, **options)
    reasoning = stream_options.get("reasoning")
    return completion_reply(
        "".join(tokens),
        model=model,
        finish_reason=finish_reason,
        reasoning="".join(as_tokens(reasoning)) if reasoning is not None else None,
        usage_extra=stream_options.get("usage_extra"),
    )


def text_reply(text: str | Sequence[str], **stream_options: Any) -> Reply:
    """Answer `text`: streamed (with `stream_options` passed to `stream_text`) when the request has
    `stream: true`, else as a completion JSON. The usage chunk follows `stream_options.include_usage` and the
    request's `max_tokens` truncates the answer with `finish_reason: "length"`, as a real server would."""
    tokens = as_tokens(text)
    return dynamic(lambda request: _answer(request, tokens, stream_options), label="text")


def echo_reply(**stream_options: Any) -> Reply:
    """The default reply: answers with exactly the last user message's text (see `text_reply`)."""

    def resolve(request: RecordedRequest) -> Reply:
        return _answer(request, as_tokens(last_user_text(request_payload(request))), stream_options)

    return dynamic(resolve, label="echo")
