"""Typed events that `ChatClient.stream_chat()` yields, one per meaningful thing the server said.

The client turns raw SSE chunks into these so that no consumer (the `toki ask` printer, the TUI, the store)
ever looks at provider-specific JSON. Every event that belongs to one choice carries its `choice_index`
(docs/protocol.md §2.2: accumulate per `choices[].index`, `n > 1` interleaves choices).

They are small value classes written out by hand rather than dataclasses: one is made per token, and this module
is on `toki ask`'s start-up path, where creating dataclasses is measurable (docs/performance.md). Treat them as
immutable.
"""

from __future__ import annotations

from typing import Any


class _Event:
    """Equality, hashing and repr from `__slots__`, like a frozen dataclass's."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.__class__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__name__}({fields})"


class ResponseStarted(_Event):
    """The server answered HTTP 200 and the first byte of the body arrived."""

    __slots__ = ("status", "request_id")

    def __init__(self, status: int, request_id: str | None = None) -> None:
        self.status = status
        self.request_id = request_id


class ContentDelta(_Event):
    """A fragment of the visible reply text."""

    __slots__ = ("text", "choice_index")

    def __init__(self, text: str, choice_index: int = 0) -> None:
        self.text = text
        self.choice_index = choice_index


class ReasoningDelta(_Event):
    """A fragment of "thinking" text (`reasoning_content`, `reasoning`, `reasoning_details` or `<think>`)."""

    __slots__ = ("text", "choice_index")

    def __init__(self, text: str, choice_index: int = 0) -> None:
        self.text = text
        self.choice_index = choice_index


class RefusalDelta(_Event):
    """A fragment of a refusal; shown like content, in a different style."""

    __slots__ = ("text", "choice_index")

    def __init__(self, text: str, choice_index: int = 0) -> None:
        self.text = text
        self.choice_index = choice_index


class ToolCallDelta(_Event):
    """A fragment of one tool call, already routed to its slot (`tool_index`) by the client's fallbacks.

    `id`, `name` and `type` are set on the first fragment of a call (and whenever the server repeats them);
    `arguments` is the fragment of the JSON arguments string to append.
    """

    __slots__ = ("tool_index", "id", "name", "arguments", "type", "choice_index")

    def __init__(
        self,
        tool_index: int,
        id: str | None = None,
        name: str | None = None,
        arguments: str = "",
        type: str | None = None,
        choice_index: int = 0,
    ) -> None:
        self.tool_index = tool_index
        self.id = id
        self.name = name
        self.arguments = arguments
        self.type = type
        self.choice_index = choice_index


class Usage(_Event):
    """Token usage. The last one seen in a stream is final (docs/protocol.md §2.3)."""

    _COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens", "reasoning_tokens", "cached_tokens")
    __slots__ = (*_COUNTS, "cost")

    def __init__(
        self,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        total_tokens: int | None = None,
        reasoning_tokens: int | None = None,
        cached_tokens: int | None = None,
        cost: float | None = None,
    ) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.total_tokens = total_tokens
        self.reasoning_tokens = reasoning_tokens
        self.cached_tokens = cached_tokens
        #: What the server says the reply was charged (OpenRouter's `usage.cost`, checked by
        #: core/pricing.reported_charge); None when it did not say. Not one of the counts of as_dict().
        self.cost = cost

    def as_dict(self) -> dict[str, int]:
        """The token counts that are known, for storing and printing."""
        return {name: value for name in self._COUNTS if (value := getattr(self, name)) is not None}


class Finished(_Event):
    """A choice ended with a `finish_reason` (any string: unknown values never crash the client)."""

    __slots__ = ("reason", "choice_index")

    def __init__(self, reason: str, choice_index: int = 0) -> None:
        self.reason = reason
        self.choice_index = choice_index


class RetryScheduled(_Event):
    """The request failed before any content and will be retried after `delay` seconds (show a countdown)."""

    __slots__ = ("attempt", "delay", "reason")

    def __init__(self, attempt: int, delay: float, reason: str) -> None:
        self.attempt = attempt
        self.delay = delay
        self.reason = reason


StreamEvent = (
    ResponseStarted | ContentDelta | ReasoningDelta | RefusalDelta | ToolCallDelta | Usage | Finished | RetryScheduled
)
