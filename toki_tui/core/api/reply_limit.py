"""toki's own cap on the size of one reply, so an endless stream from a hostile or broken server ends.

The client passes every batch of events through a ReplyLimiter. Once the reply's text (content, reasoning,
refusal and tool-call arguments, all choices together) reaches the limit, the delta that crosses it is cut, the
reply ends with `Finished(REPLY_LIMIT_REASON)` and the client stops reading (closing the response tells the
server to stop). The session stores such a reply as "length" with REPLY_LIMIT_MESSAGE, keeping the text.
"""

from __future__ import annotations

from toki_tui.core.api.events import ContentDelta, Finished, ReasoningDelta, RefusalDelta, StreamEvent, ToolCallDelta

MAX_REPLY_CHARS = 4 * 1024 * 1024
"""4 Mi characters, about a million tokens: eight times the longest output any model offers today (128k tokens,
~0.5 M characters), so no real reply is cut, while the TUI and the history stay far from exhausting memory."""

REPLY_LIMIT_REASON = "toki_reply_limit"
"""The finish reason toki records (instead of the server's) when it stopped the reply at the limit."""


def reply_limit_message(limit: int = MAX_REPLY_CHARS) -> str:
    """Why the reply ended, for the user: what happened, that the text is kept, and what to do."""
    size = f"{limit // (1024 * 1024)} M" if limit % (1024 * 1024) == 0 else f"{limit:,}"
    return (
        f"stopped at toki's reply limit of {size} characters; the partial reply is kept "
        "(the server kept sending: ask for a shorter answer or set max tokens)"
    )


_TEXT_EVENTS = (ContentDelta, ReasoningDelta, RefusalDelta)


class ReplyLimiter:
    """Counts a reply's characters across batches; `take()` cuts the batch that passes the limit."""

    __slots__ = ("limit", "reached", "used")

    def __init__(self, limit: int = MAX_REPLY_CHARS) -> None:
        self.limit = limit
        self.used = 0
        self.reached = False

    def take(self, batch: list[StreamEvent]) -> list[StreamEvent]:
        """The batch as it may be passed on: whole, or cut at the limit and ended with Finished."""
        used = self.used
        for position, event in enumerate(batch):
            cls = event.__class__
            if cls is ContentDelta or cls is ReasoningDelta or cls is RefusalDelta:
                size = len(event.text)  # type: ignore[union-attr]
            elif cls is ToolCallDelta:
                size = len(event.arguments)  # type: ignore[union-attr]
            else:
                continue
            if used + size > self.limit:
                return self._cut(batch, position, self.limit - used)
            used += size
        self.used = used
        return batch

    def _cut(self, batch: list[StreamEvent], position: int, room: int) -> list[StreamEvent]:
        self.reached = True
        self.used = self.limit
        kept = batch[:position]
        event = batch[position]
        if isinstance(event, _TEXT_EVENTS):
            if room > 0:
                kept.append(event.__class__(event.text[:room], event.choice_index))
        elif isinstance(event, ToolCallDelta) and room > 0:
            kept.append(
                ToolCallDelta(
                    event.tool_index, event.id, event.name, event.arguments[:room], event.type, event.choice_index
                )
            )
        kept.append(Finished(REPLY_LIMIT_REASON, 0))
        return kept
