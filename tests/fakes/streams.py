"""Builders for OpenAI-shaped SSE streams: text (with reasoning, refusals, n>1, usage variants, mid-stream
errors, truncation) and tool calls (with every `index` fault of docs/protocol.md §2.4).

Every event is encoded once, when the reply is built, so serving 20,000 tokens is a few socket writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from tests.fakes.chunks import (
    DEFAULT_MODEL,
    ErrorForm,
    azure_prefilter_chunk,
    choice,
    chunk,
    done_event,
    dumps,
    error_event,
    sse_comment,
    sse_event,
    usage_dict,
)
from tests.fakes.replies import HeaderItems, Part, Reply, header_items

ReasoningField = Literal["reasoning_content", "reasoning", "reasoning_details", "both", "think_tags"]
UsageInChunks = Literal["absent", "null", "cumulative"]
IndexMode = Literal["normal", "missing", "null", "reused_zero"]

_TOKEN_PATTERN = re.compile(r"\s*\S+|\s+")
_SENTINEL = "\x00TOKEN\x00"


def tokenize(text: str) -> list[str]:
    """Word-sized tokens whose concatenation is exactly `text` (leading whitespace stays on the word)."""
    return _TOKEN_PATTERN.findall(text)


def as_tokens(text: str | Sequence[str]) -> list[str]:
    return tokenize(text) if isinstance(text, str) else list(text)


class _EventEncoder:
    """Encodes chunks as SSE events; same-shaped deltas reuse one pre-split JSON template for speed."""

    def __init__(self, *, model: str, no_space: bool, line_ending: str, usage_in_chunks: UsageInChunks) -> None:
        self.model = model
        self.no_space = no_space
        self.line_ending = line_ending
        self.usage_in_chunks = usage_in_chunks
        self._templates: dict[tuple[str, int, str], tuple[bytes, bytes]] = {}

    def event(self, payload: Mapping[str, Any] | str) -> bytes:
        return sse_event(payload, no_space=self.no_space, line_ending=self.line_ending)

    def chunk_event(self, choices: list[dict[str, Any]], usage: Mapping[str, Any] | None = None) -> bytes:
        extra: dict[str, Any] = {}
        if self.usage_in_chunks == "null":
            extra["usage"] = None
        elif self.usage_in_chunks == "cumulative" and usage is not None:
            extra["usage"] = dict(usage)
        return self.event(chunk(choices, model=self.model, **extra))

    def delta_event(self, field: str, value: str, *, index: int, usage: Mapping[str, Any] | None = None) -> bytes:
        """`{"delta": {field: value}}` for one choice; templated unless cumulative usage varies per chunk."""
        if self.usage_in_chunks == "cumulative":
            return self.chunk_event([choice({field: value}, index=index)], usage)
        key = (field, index, self.usage_in_chunks)
        if key not in self._templates:
            encoded = self.chunk_event([choice({field: _SENTINEL}, index=index)])
            prefix, suffix = encoded.split(dumps(_SENTINEL).encode(), 1)
            self._templates[key] = (prefix, suffix)
        prefix, suffix = self._templates[key]
        return prefix + dumps(value).encode("utf-8", "backslashreplace") + suffix  # as in chunks.py


def _reasoning_deltas(field: ReasoningField, token: str) -> list[tuple[str, Any]]:
    if field == "reasoning_details":
        return [("reasoning_details", [{"type": "reasoning.text", "text": token, "format": "unknown", "index": 0}])]
    if field == "both":
        return [("reasoning", token), ("reasoning_content", token)]
    return [(field, token)]


def stream_text(
    text: str | Sequence[str] = "Hello! This is the fake TOKI server.",
    *,
    chunk_delay: float = 0.0,
    first_delay: float = 0.0,
    reasoning: str | Sequence[str] | None = None,
    reasoning_field: ReasoningField = "reasoning_content",
    refusal: str | Sequence[str] | None = None,
    finish_reason: str | None = "stop",
    finish_with_last_content: bool = False,
    usage: bool | Mapping[str, Any] = True,
    usage_in_chunks: UsageInChunks = "absent",
    usage_extra: Mapping[str, Any] | None = None,
    done: bool = True,
    no_space: bool = False,
    line_ending: str = "\n",
    role_first: bool = True,
    repeat_role: bool = False,
    model: str = DEFAULT_MODEL,
    n: int = 1,
    choice_texts: Sequence[str | Sequence[str]] | None = None,
    keepalive_comments: int = 0,
    comment: str = "keep-alive",
    comment_every: int = 0,
    leading_bom: bool = False,
    azure_prefilter: bool = False,
    error: ErrorForm | None = None,
    error_message: str = "Provider disconnected",
    error_code: str | int | None = "server_error",
    close_abruptly: bool = False,
    status: int = 200,
    headers: HeaderItems = None,
    content_type: str = "text/event-stream",
    prompt_tokens: int = 12,
    coalesce: bool | None = None,
) -> Reply:
    """An OpenAI-shaped chat stream.

    Order: [BOM] [keep-alive comments] [Azure prefilter chunk] role chunk (`content: ""`, `refusal: null`),
    reasoning deltas, refusal deltas, content deltas (n>1 interleaves choices), `delta: {}` + finish_reason,
    a usage chunk with `choices: []`, `data: [DONE]`. `chunk_delay` is the wait before every delta,
    `first_delay` before the first byte of the body.

    - `text`: a string (split into word tokens) or the exact token list. `choice_texts` gives each choice
      its own text when `n > 1` (default: every choice streams `text`).
    - `usage`: False for no usage chunk, or a dict to send verbatim. `usage_in_chunks`: "null" puts
      `usage: null` on every other chunk (OpenAI with include_usage), "cumulative" a running usage (§2.3).
      `usage_extra` adds keys to the final usage: OpenRouter's charge, `{"cost": 0.0012, "cost_details": ...}`.
    - `finish_reason=None` sends no finish chunk; `finish_with_last_content` puts it on the last content chunk.
    - `error`: end with that mid-stream error form instead of finish/usage/[DONE] (§6.11).
    - `close_abruptly`: close the socket without the final zero-length chunk (httpx: incomplete chunked read).
    - `coalesce`: merge events into large frames; defaults to True when there are no delays.
    """
    encoder = _EventEncoder(model=model, no_space=no_space, line_ending=line_ending, usage_in_chunks=usage_in_chunks)
    texts = [as_tokens(t) for t in choice_texts] if choice_texts is not None else [as_tokens(text)] * n
    if len(texts) != n:
        raise ValueError(f"stream_text: n={n} but {len(texts)} choice_texts")
    reasoning_tokens = as_tokens(reasoning) if reasoning is not None else []
    refusal_tokens = as_tokens(refusal) if refusal is not None else []
    parts: list[Part] = []
    emitted = 0  # completion tokens so far, for cumulative usage
    pending_first = first_delay

    def running_usage() -> dict[str, Any]:
        return usage_dict(prompt_tokens, emitted, reasoning_tokens=len(reasoning_tokens) or None)

    def add(data: bytes, delay: float = 0.0) -> None:
        """Queue one event; the first queued item also waits `first_delay`."""
        nonlocal pending_first
        parts.append(Part(data, delay + pending_first))
        pending_first = 0.0
        if comment_every and len(parts) % comment_every == 0:
            parts.append(Part(sse_comment(comment, line_ending=line_ending)))

    if leading_bom:
        add(b"\xef\xbb\xbf")
    for _ in range(keepalive_comments):
        add(sse_comment(comment, line_ending=line_ending), chunk_delay)
    if azure_prefilter:
        add(encoder.event(azure_prefilter_chunk()))
    if role_first:
        for index in range(n):
            role_delta = {"role": "assistant", "content": "", "refusal": None}
            add(encoder.chunk_event([choice(role_delta, index=index)], running_usage()))

    if reasoning_field == "think_tags":
        # Reasoning wrapped in <think>…</think> inside content, as an unparsed R1 on vLLM sends it (§2.5).
        wrapped = ["<think>", *reasoning_tokens, "</think>\n\n"] if reasoning_tokens else []
        for token in wrapped:
            emitted += 1
            add(encoder.delta_event("content", token, index=0, usage=running_usage()), chunk_delay)
    else:
        for token in reasoning_tokens:
            emitted += 1
            delta: dict[str, Any] = {"content": None if reasoning_field == "reasoning_content" else ""}
            delta.update(_reasoning_deltas(reasoning_field, token))
            add(encoder.chunk_event([choice(delta)], running_usage()), chunk_delay)
    for token in refusal_tokens:
        emitted += 1
        add(encoder.delta_event("refusal", token, index=0, usage=running_usage()), chunk_delay)

    longest = max((len(tokens) for tokens in texts), default=0)
    for position in range(longest):
        for index, tokens in enumerate(texts):
            if position >= len(tokens):
                continue
            emitted += 1
            token = tokens[position]
            if repeat_role and position > 0:
                entry = choice({"role": "assistant", "content": token}, index=index)
                add(encoder.chunk_event([entry], running_usage()), chunk_delay)
            elif finish_with_last_content and position == len(tokens) - 1 and finish_reason and error is None:
                entry = choice({"content": token}, index=index, finish_reason=finish_reason)
                add(encoder.chunk_event([entry], running_usage()), chunk_delay)
            else:
                add(encoder.delta_event("content", token, index=index, usage=running_usage()), chunk_delay)

    if error is not None:
        add(error_event(error, error_message, code=error_code, model=model), chunk_delay)
    else:
        if finish_reason is not None and not finish_with_last_content:
            for index in range(n):
                entry = choice({}, index=index, finish_reason=finish_reason)
                add(encoder.chunk_event([entry], running_usage()), chunk_delay)
        if usage is not False:
            final = dict(usage) if isinstance(usage, Mapping) else running_usage()
            final.update(usage_extra or {})
            add(encoder.event(chunk([], model=model, usage=final)))
        if done:
            add(done_event(no_space=no_space, line_ending=line_ending))

    has_delays = any(part.delay > 0 for part in parts)
    return Reply(
        status=status,
        content_type=content_type,
        headers=header_items(headers),
        parts=tuple(parts),
        framing="chunked",
        coalesce=(not has_delays) if coalesce is None else coalesce,
        ending="abrupt_close" if close_abruptly else "complete",
        label=f"stream {emitted} tokens",
    )


def stream_error(
    form: ErrorForm,
    *,
    before: str | Sequence[str] = "Partial answer",
    message: str = "Provider disconnected",
    code: str | int | None = "server_error",
    chunk_delay: float = 0.0,
) -> Reply:
    """Some content, then a mid-stream error in `form` (§6.11); HTTP status stays 200."""
    return stream_text(before, error=form, error_message=message, error_code=code, chunk_delay=chunk_delay)


def _fragments(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def _tool_entry(index_mode: IndexMode, index: int, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if index_mode == "normal":
        entry["index"] = index
    elif index_mode == "null":
        entry["index"] = None
    elif index_mode == "reused_zero":
        entry["index"] = 0
    entry.update(fields)
    return entry


def stream_tool_calls(
    calls: Sequence[Mapping[str, Any]],
    *,
    index_mode: IndexMode = "normal",
    fragment_size: int = 8,
    interleave: bool = False,
    content: str | None = None,
    chunk_delay: float = 0.0,
    finish_reason: str | None = "tool_calls",
    usage: bool = True,
    done: bool = True,
    model: str = DEFAULT_MODEL,
) -> Reply:
    """Tool-call deltas: per call a header delta (index, id, type, name, `arguments: ""`), then argument
    fragments of `fragment_size` characters carrying only `index` (§2.4).

    `calls`: `{"name": str, "arguments": str | dict, "id"?: str}`; a string `arguments` is sent verbatim, so
    it may be invalid JSON. `index_mode`: "missing" leaves `index` out, "null" sends `index: null`,
    "reused_zero" uses 0 for every call (tell them apart by `id`, as Ollama does). `interleave` alternates
    fragments of parallel calls.
    """
    encoder = _EventEncoder(model=model, no_space=False, line_ending="\n", usage_in_chunks="absent")
    parts: list[Part] = [
        Part(encoder.chunk_event([choice({"role": "assistant", "content": content or None, "refusal": None})]))
    ]
    per_call: list[list[dict[str, Any]]] = []
    for index, call in enumerate(calls):
        arguments = call.get("arguments", "")
        arguments_text = arguments if isinstance(arguments, str) else dumps(arguments)
        call_id = str(call.get("id", f"call_fake_{index}"))
        header = _tool_entry(
            index_mode,
            index,
            id=call_id,
            type="function",
            function={"name": call["name"], "arguments": ""},
        )
        fragments = [
            _tool_entry(index_mode, index, function={"arguments": piece})
            for piece in _fragments(arguments_text, fragment_size)
        ]
        per_call.append([header, *fragments])
    if interleave:
        longest = max((len(entries) for entries in per_call), default=0)
        ordered = [entries[i] for i in range(longest) for entries in per_call if i < len(entries)]
    else:
        ordered = [entry for entries in per_call for entry in entries]
    for entry in ordered:
        parts.append(Part(encoder.chunk_event([choice({"tool_calls": [entry]})]), chunk_delay))
    if finish_reason is not None:
        parts.append(Part(encoder.chunk_event([choice({}, finish_reason=finish_reason)]), chunk_delay))
    if usage:
        parts.append(Part(encoder.event(chunk([], model=model, usage=usage_dict(12, len(ordered))))))
    if done:
        parts.append(Part(done_event()))
    return Reply(
        content_type="text/event-stream",
        parts=tuple(parts),
        framing="chunked",
        coalesce=chunk_delay == 0,
        label=f"tool calls x{len(calls)} ({index_mode})",
    )
