"""Turn decoded Chat Completions JSON (stream chunks or a whole completion) into typed events.

Everything here is tolerant by design (docs/protocol.md §2, §6.11–§6.17): `choices` may be empty or missing, a delta
may be missing or null, any field may be null, `finish_reason` may be any string, usage may come in every chunk
or not at all, reasoning may arrive under several names, and errors may arrive inside a 200 stream.
"""

from __future__ import annotations

import json
from typing import Any

from toki_tui.core.api.events import (
    ContentDelta,
    Finished,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    ToolCallDelta,
    Usage,
)
from toki_tui.core.api.think_tags import ThinkTagSplitter
from toki_tui.core.api.tool_calls import ToolCallRouter
from toki_tui.core.errors import StreamError
from toki_tui.core.pricing import reported_charge

_RAW_EXCERPT = 200
#: Delta keys that carry nothing but text (OpenAI repeats a null refusal; some servers repeat the role).
_PLAIN_DELTA_KEYS = frozenset({"content", "role", "refusal"})


def excerpt(text: str, limit: int = _RAW_EXCERPT) -> str:
    """A short, single-line excerpt of server text for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


MAX_USAGE_TOKENS = 10**12
"""A token count above this (or below 0) is no reply's: it is read as unknown. 10^30 overflowed SQLite's integer
when the reply was saved; a trillion is beyond any context and still fits."""


def parse_usage(raw: object) -> Usage | None:
    if not isinstance(raw, dict):
        return None

    def number(value: object) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        return value if 0 <= value <= MAX_USAGE_TOKENS else None

    details = raw.get("completion_tokens_details")
    prompt_details = raw.get("prompt_tokens_details")
    return Usage(
        cost=_charge(raw),
        prompt_tokens=number(raw.get("prompt_tokens")),
        completion_tokens=number(raw.get("completion_tokens")),
        total_tokens=number(raw.get("total_tokens")),
        reasoning_tokens=number(details.get("reasoning_tokens")) if isinstance(details, dict) else None,
        cached_tokens=number(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else None,
    )


def _charge(usage: dict[str, Any]) -> float | None:
    """The charge a usage object reports (OpenRouter, LiteLLM's `include_cost_in_streaming_usage`): `cost`, a JSON
    number. With the user's own provider key (OpenRouter's `is_byok`), `cost` is only the router's fee and the
    provider charged `cost_details.upstream_inference_cost` besides: the reply cost both, and unknown if that is
    missing. A value that is not a believable charge (a string, negative, NaN, huge) is no report."""

    def number(value: object) -> float | None:
        return reported_charge(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    charge = number(usage.get("cost"))
    if charge is None or usage.get("is_byok") is not True:
        return charge
    details = usage.get("cost_details")
    upstream = number(details.get("upstream_inference_cost")) if isinstance(details, dict) else None
    return None if upstream is None else reported_charge(charge + upstream)


def error_from_payload(payload: object, where: str = " mid-stream") -> StreamError:
    """A StreamError from any of the error shapes servers send: a dict with message/code, a string, anything.
    `where` follows "reported an error": "" for a whole (non-streamed) reply, which has no middle."""
    if isinstance(payload, dict):
        message = payload.get("message")
        code = payload.get("code")
        error_type = payload.get("type")
        # One line, like an HTTP error's message (http_errors): a line break in it could forge a line of toki's.
        text = excerpt(message, 300) if isinstance(message, str) and message.strip() else excerpt(json.dumps(payload))
        code_text = str(code) if code is not None else (str(error_type) if error_type else None)
        return StreamError(f"the server reported an error{where}: {text}", code=code_text)
    if isinstance(payload, str) and payload:
        return StreamError(f"the server reported an error{where}: {excerpt(payload)}")
    return StreamError(f"the server reported an error{where} without a message")


def _reasoning_text(delta: dict[str, Any]) -> str:
    # DeepSeek and vLLM < 0.11 use reasoning_content; OpenRouter, vLLM >= 0.11 and Ollama use reasoning. OpenRouter
    # may send both with the same text, so the first one present wins.
    for name in ("reasoning_content", "reasoning"):
        value = delta.get(name)
        if isinstance(value, str) and value:
            return value
    details = delta.get("reasoning_details")
    if isinstance(details, list):
        parts = []
        for item in details:
            if isinstance(item, dict):
                text = item.get("text") or item.get("summary")
                if isinstance(text, str):
                    parts.append(text)
        return "".join(parts)
    return ""


def _content_parts(parts: list[Any]) -> list[tuple[str, str]]:
    """("content" | "reasoning", text) for each part with text: `{"type": "text", "text"}`, and Mistral's
    reasoning models' `{"type": "thinking", "thinking": [{"type": "text", "text"}, ...]}` (or a string)."""
    found: list[tuple[str, str]] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str) and part["text"]:
            found.append(("content", part["text"]))
        elif part.get("type") == "thinking":
            thinking = part.get("thinking")
            if isinstance(thinking, list):
                thinking = "".join(
                    item["text"] for item in thinking if isinstance(item, dict) and isinstance(item.get("text"), str)
                )
            if isinstance(thinking, str) and thinking:
                found.append(("reasoning", thinking))
    return found


class _ChoiceState:
    __slots__ = ("think", "tools")

    def __init__(self) -> None:
        self.think = ThinkTagSplitter()
        self.tools = ToolCallRouter()


class ChunkParser:
    """Stateful: one per response. `parse_chunk()` for stream chunks, `parse_completion()` for a whole reply."""

    __slots__ = ("_choices", "content_events", "finished", "settled", "split_think_tags")

    def __init__(self, *, split_think_tags: bool = True) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self.split_think_tags = split_think_tags
        #: How many chunks carried content, reasoning, a refusal or a tool call (the idle timer watches it).
        self.content_events = 0
        #: Whether any choice has ended with a finish_reason.
        self.finished = False
        #: Whether the last chunk carried no content and came at or after a finish_reason: the reply looks over.
        #: Not `finished` alone: some relays (Gemini through one-api, Open WebUI) put "stop" on every chunk.
        self.settled = False

    def _state(self, index: int) -> _ChoiceState:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _ChoiceState()
        return state

    def parse_chunk(self, chunk: object) -> list[StreamEvent]:
        """Events of one stream chunk. Raises StreamError for an error chunk, after the events it carried."""
        if not isinstance(chunk, dict):
            raise StreamError(f"the server sent a stream chunk that is not an object: {excerpt(json.dumps(chunk))}")
        events: list[StreamEvent] = []
        content_before = self.content_events
        choices = chunk.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict):
                    self._parse_choice(choice, "delta", events)
        self.settled = self.finished and self.content_events == content_before
        usage = chunk.get("usage")
        if usage is None:
            # Groq puts a streamed reply's usage in its own extension object (docs/protocol.md §2.3).
            extension = chunk.get("x_groq")
            usage = extension.get("usage") if isinstance(extension, dict) else None
        if usage is not None:
            parsed = parse_usage(usage)
            if parsed is not None:
                events.append(parsed)
        error = chunk.get("error")
        if error:
            # OpenAI sends a bare {"error": {...}}; OpenRouter adds it to a chunk whose choice ends with
            # finish_reason "error". Either way the events before it are kept and the stream has failed.
            raise _with_events(error_from_payload(error), events)
        if chunk.get("object") == "error":
            raise _with_events(error_from_payload(chunk), events)
        return events

    def parse_completion(self, body: object) -> list[StreamEvent]:
        """Events of a non-stream completion body, as if it had been streamed in one piece."""
        if not isinstance(body, dict):
            raise StreamError(f"the server sent a reply that is not a JSON object: {excerpt(json.dumps(body))}")
        if body.get("error"):
            raise error_from_payload(body["error"], where="")
        if body.get("object") == "error":
            raise error_from_payload(body, where="")
        events: list[StreamEvent] = []
        choices = body.get("choices")
        if not isinstance(choices, list):
            raise StreamError(f"the server's reply has no choices: {excerpt(json.dumps(body))}")
        for choice in choices:
            if isinstance(choice, dict):
                self._parse_choice(choice, "message", events)
        events.extend(self.flush())
        usage = parse_usage(body.get("usage"))
        if usage is not None:
            events.append(usage)
        return events

    def _parse_choice(self, choice: dict[str, Any], delta_key: str, events: list[StreamEvent]) -> None:
        raw_index = choice.get("index")
        index = raw_index if isinstance(raw_index, int) and not isinstance(raw_index, bool) else 0
        delta = choice.get(delta_key)
        # Fast path for the chunk that makes up almost all of a stream: a plain text delta, nothing else.
        if (
            delta.__class__ is dict
            and delta.keys() <= _PLAIN_DELTA_KEYS
            and choice.get("finish_reason") is None
            and (content := delta.get("content")).__class__ is str
            and delta.get("refusal") is None
        ):
            state = self._state(index)
            if state.think.passthrough or not self.split_think_tags:
                if content:
                    self.content_events += 1
                    events.append(ContentDelta(content, index))
                return
        if not isinstance(delta, dict):
            # Some servers put a whole `message` in stream chunks; fall back to it.
            delta = choice.get("message") if delta_key == "delta" else choice.get("delta")
        if isinstance(delta, dict):
            state = self._state(index)
            produced_before = len(events)
            reasoning = _reasoning_text(delta)
            if reasoning:
                events.append(ReasoningDelta(reasoning, index))
            content = delta.get("content")
            if isinstance(content, str) and content:
                self._add_content(state, content, index, events)
            elif isinstance(content, list):
                # Content parts, in order: text parts are content, Mistral's "thinking" parts reasoning.
                for kind, text in _content_parts(content):
                    if kind == "reasoning":
                        events.append(ReasoningDelta(text, index))
                    else:
                        self._add_content(state, text, index, events)
            refusal = delta.get("refusal")
            if isinstance(refusal, str) and refusal:
                events.append(RefusalDelta(refusal, index))
            tool_calls = delta.get("tool_calls")
            if isinstance(tool_calls, list):
                for entry in tool_calls:
                    if isinstance(entry, dict):
                        events.append(state.tools.route(entry, index))
            function_call = delta.get("function_call")
            if isinstance(function_call, dict):
                # The deprecated single function call: treat it as tool call slot 0 of its own.
                events.append(state.tools.route({"index": 0, "type": "function", "function": function_call}, index))
            if len(events) != produced_before:
                self.content_events += 1
        finish_reason = choice.get("finish_reason")
        if isinstance(finish_reason, str) and finish_reason:
            self.finished = True
            events.extend(self._flush_choice(index))
            events.append(Finished(finish_reason, index))

    def _add_content(self, state: _ChoiceState, text: str, index: int, events: list[StreamEvent]) -> None:
        if not self.split_think_tags:
            events.append(ContentDelta(text, index))
            return
        content, reasoning = state.think.feed(text)
        if reasoning:
            events.append(ReasoningDelta(reasoning, index))
        if content:
            events.append(ContentDelta(content, index))

    def _flush_choice(self, index: int) -> list[StreamEvent]:
        state = self._choices.get(index)
        if state is None:
            return []
        content, reasoning = state.think.flush()
        flushed: list[StreamEvent] = []
        if reasoning:
            flushed.append(ReasoningDelta(reasoning, index))
        if content:
            flushed.append(ContentDelta(content, index))
        return flushed

    def flush(self) -> list[StreamEvent]:
        """At the end of the body: text held back by the think-tag splitter."""
        flushed: list[StreamEvent] = []
        for index in list(self._choices):
            flushed.extend(self._flush_choice(index))
        return flushed


def _with_events(error: StreamError, events: list[StreamEvent]) -> StreamError:
    error.pending_events = events
    return error


__all__ = ["ChunkParser", "ToolCallDelta", "error_from_payload", "excerpt", "parse_usage"]
