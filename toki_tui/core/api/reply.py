"""Accumulate a reply from stream events: text, reasoning, refusal, tool calls, usage, finish reason, timing.

Used by `toki ask`, the TUI and the history recorder, so all three agree on what a reply was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from toki_tui.core.api.events import (
    ContentDelta,
    Finished,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    StreamEvent,
    ToolCallDelta,
    Usage,
)
from toki_tui.core.api.reply_limit import REPLY_LIMIT_REASON

_BLOCK_TOKENS = 256
"""Fragments joined into one string at a time. A str per token costs ~50 bytes of object header for a few
characters of text, which made a long reply cost many times its size; joined in blocks of 256, the text costs
about its own size, and each join copies only its own block."""


class TextBuffer:
    """Text arriving in many small fragments, kept compactly: `append()` per fragment, `text()` for all of it."""

    __slots__ = ("_blocks", "_loose")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._loose: list[str] = []

    def append(self, fragment: str) -> None:
        loose = self._loose
        loose.append(fragment)
        if len(loose) >= _BLOCK_TOKENS:
            self._blocks.append("".join(loose))
            loose.clear()

    def __bool__(self) -> bool:
        return bool(self._blocks or self._loose)

    def text(self) -> str:
        return "".join(self._blocks) + "".join(self._loose)


class ChoiceAccumulator:
    """Everything one choice (`choices[].index`) said so far."""

    __slots__ = ("content_parts", "finish_reason", "reasoning_parts", "refusal_parts", "tool_calls")

    def __init__(self) -> None:
        self.content_parts = TextBuffer()
        self.reasoning_parts = TextBuffer()
        self.refusal_parts = TextBuffer()
        self.tool_calls: list[dict[str, Any]] = []
        self.finish_reason: str | None = None

    def add_tool_call_delta(self, delta: ToolCallDelta) -> None:
        while len(self.tool_calls) <= delta.tool_index:
            self.tool_calls.append({"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
        call = self.tool_calls[delta.tool_index]
        if delta.id:
            call["id"] = delta.id
        if delta.type:
            call["type"] = delta.type
        if delta.name:
            # Names arrive whole on the first fragment; a server that repeats them must not double them.
            call["function"]["name"] = delta.name
        if delta.arguments:
            call["function"]["arguments"] += delta.arguments


class ReplyAccumulator:
    """The state of one reply. `content`, `reasoning` etc. are those of choice 0, the one toki shows."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, streamed: bool = True) -> None:
        """`streamed`: the reply was asked for as a stream. One that was not arrives whole, so it has no time to
        first token, and its speed is counted over the whole request (from its "first token", the end, it
        would be thousands of tokens per second)."""
        self._clock = clock
        self.streamed = streamed
        self.started_at = clock()
        self.first_token_at: float | None = None
        self.finished_at: float | None = None
        self.response_started = False
        self.choices: dict[int, ChoiceAccumulator] = {0: ChoiceAccumulator()}
        self.usage: Usage | None = None
        self.content_chars = 0

    def _choice(self, index: int) -> ChoiceAccumulator:
        choice = self.choices.get(index)
        if choice is None:
            choice = self.choices[index] = ChoiceAccumulator()
        return choice

    def feed(self, event: StreamEvent) -> None:
        if isinstance(event, ContentDelta):
            self._first_token()
            self._choice(event.choice_index).content_parts.append(event.text)
            if event.choice_index == 0:
                self.content_chars += len(event.text)
        elif isinstance(event, ReasoningDelta):
            self._first_token()
            self._choice(event.choice_index).reasoning_parts.append(event.text)
        elif isinstance(event, RefusalDelta):
            self._first_token()
            self._choice(event.choice_index).refusal_parts.append(event.text)
        elif isinstance(event, ToolCallDelta):
            self._first_token()
            self._choice(event.choice_index).add_tool_call_delta(event)
        elif isinstance(event, Usage):
            self.usage = event  # the last usage seen is final (docs/protocol.md §2.3)
        elif isinstance(event, Finished):
            self._choice(event.choice_index).finish_reason = event.reason
        elif isinstance(event, ResponseStarted):
            self.response_started = True

    def _first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = self._clock()

    def finish(self) -> None:
        if self.finished_at is None:
            self.finished_at = self._clock()

    # ---- choice 0, as shown and stored ------------------------------------------------------------------

    @property
    def content(self) -> str:
        return self.choices[0].content_parts.text()

    @property
    def reasoning(self) -> str:
        return self.choices[0].reasoning_parts.text()

    @property
    def refusal(self) -> str:
        return self.choices[0].refusal_parts.text()

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return self.choices[0].tool_calls

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason

    @property
    def has_output(self) -> bool:
        choice = self.choices[0]
        return bool(choice.content_parts or choice.reasoning_parts or choice.refusal_parts or choice.tool_calls)

    @property
    def stored_content(self) -> str:
        """The text to store as the message content: the reply, or the refusal when that is all there is."""
        content = self.content
        if not content and self.refusal:
            return self.refusal
        return content

    @property
    def ttft(self) -> float | None:
        """Seconds from the request to the first token (None for a reply not streamed)."""
        if self.first_token_at is None or not self.streamed:
            return None
        return self.first_token_at - self.started_at

    @property
    def duration(self) -> float:
        end = self.finished_at if self.finished_at is not None else self._clock()
        return end - self.started_at

    def tokens_per_second(self) -> float | None:
        """Output speed: from usage when known, else estimated at ~4 characters per token; None until the tokens
        have taken SPEED_WINDOW seconds to arrive."""
        if self.first_token_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else self._clock()
        elapsed = end - (self.first_token_at if self.streamed else self.started_at)
        if self.usage is not None and self.usage.completion_tokens:
            return speed(self.usage.completion_tokens, elapsed)
        return speed(self.content_chars / 4, elapsed)


SPEED_WINDOW = 0.25
"""The shortest time over which a speed is shown: a reply of a few tokens arriving in one network read would
otherwise read as thousands of tokens per second (a figure about the network, not the model)."""


def speed(tokens: float, elapsed: float) -> float | None:
    """Tokens per second, or None for no tokens or for less than SPEED_WINDOW seconds."""
    return tokens / elapsed if tokens > 0 and elapsed >= SPEED_WINDOW else None


CUT_SHORT_REASONS = {
    "insufficient_system_resource": "the server ran out of resources and stopped the reply early; retry later",
}
"""Finish reasons of providers' own (DeepSeek's here) that mean the reply was cut short by the server, with what
to tell the user: stored as an error, so the reply is not taken for a complete one (docs/protocol.md §2.2)."""


def status_for_finish_reason(finish_reason: str | None) -> str:
    """The stored status of a reply that ended normally."""
    if finish_reason in ("length", REPLY_LIMIT_REASON):
        return "length"
    if finish_reason == "error" or finish_reason in CUT_SHORT_REASONS:
        return "error"
    return "complete"
