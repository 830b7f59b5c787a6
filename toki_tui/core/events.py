"""Typed events that `ChatClient.stream_chat()` yields, one per meaningful thing the server said.

The client turns raw SSE chunks into these so that no consumer (the `toki ask` printer, the TUI, the store)
ever looks at provider-specific JSON. Every event that belongs to one choice carries its `choice_index`
(protocol.md §2.2: accumulate per `choices[].index`, `n > 1` interleaves choices).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    """The server answered HTTP 200 and the first byte of the body arrived."""

    status: int
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContentDelta:
    """A fragment of the visible reply text."""

    text: str
    choice_index: int = 0


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A fragment of "thinking" text (`reasoning_content`, `reasoning`, `reasoning_details` or `<think>`)."""

    text: str
    choice_index: int = 0


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """A fragment of a refusal; shown like content, in a different style."""

    text: str
    choice_index: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of one tool call, already routed to its slot (`tool_index`) by the client's fallbacks.

    `id`, `name` and `type` are set on the first fragment of a call (and whenever the server repeats them);
    `arguments` is the fragment of the JSON arguments string to append.
    """

    tool_index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    type: str | None = None
    choice_index: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage. The last one seen in a stream is final (protocol.md §2.3)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None

    def as_dict(self) -> dict[str, int]:
        """The non-empty fields, for storing and printing."""
        return {
            name: value
            for name in ("prompt_tokens", "completion_tokens", "total_tokens", "reasoning_tokens", "cached_tokens")
            if (value := getattr(self, name)) is not None
        }


@dataclass(frozen=True, slots=True)
class Finished:
    """A choice ended with a `finish_reason` (any string: unknown values never crash the client)."""

    reason: str
    choice_index: int = 0


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """The request failed before any content and will be retried after `delay` seconds (show a countdown)."""

    attempt: int
    delay: float
    reason: str


StreamEvent = (
    ResponseStarted | ContentDelta | ReasoningDelta | RefusalDelta | ToolCallDelta | Usage | Finished | RetryScheduled
)
