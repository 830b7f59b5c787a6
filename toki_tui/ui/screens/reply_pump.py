"""Feeding one reply's stream events into the live reply widget, from the chat screen's reply worker.

The live reply coalesces text itself (docs/architecture.md, the streaming pipeline: at most one repaint per
50-100 ms), so content is a cheap append: one per network read (the session's batches), with the text of that
read's content events joined, not one per token. Only state changes (first byte, a scheduled retry, the end) go
through the message queue. When the worker is cancelled (Esc), the CancelledError runs through ChatSession.send,
which closes the HTTP response and records the partial reply as "stopped"; then the widget is finished with the
same status.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING

from textual.message import Message

from toki_tui.core.api.events import (
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    RetryScheduled,
    StreamEvent,
    ToolCallDelta,
)
from toki_tui.core.errors import APIError, APIStatusError
from toki_tui.core.session import ChatSession
from toki_tui.core.spend import is_unpriced
from toki_tui.ui.display import asked_for_json
from toki_tui.ui.screens.worker_messages import ReplyEnded, ReplyStateChanged

if TYPE_CHECKING:
    from toki_tui.core.api.reply import ReplyAccumulator
    from toki_tui.ui.widgets.live_reply import LiveReply


def show_batch(
    live: LiveReply,
    batch: list[StreamEvent],
    reply: ReplyAccumulator | None,
    on_state: Callable[[ResponseStarted | RetryScheduled], object],
) -> None:
    """Append one network read's events to the live reply (the text of its content events joined), calling
    `on_state` in order for the events that change the reply's state. `reply` is the accumulator the tool calls
    are read from (it gathers their fragments)."""
    content: list[str] = []
    for event in batch:
        if isinstance(event, ContentDelta):
            if event.choice_index == 0:
                content.append(event.text)
            continue
        if content:  # what came before this event in the same read, in order
            live.append_content("".join(content))
            content = []
        if isinstance(event, ReasoningDelta):
            if event.choice_index == 0:
                live.append_reasoning(event.text)
        elif isinstance(event, RefusalDelta):
            if event.choice_index == 0:
                live.append_refusal(event.text)
        elif isinstance(event, ToolCallDelta):
            if event.choice_index == 0 and reply is not None:
                live.set_tool_calls(reply.tool_calls)
        elif isinstance(event, ResponseStarted | RetryScheduled):
            on_state(event)
    if content:
        live.append_content("".join(content))


async def pump_reply(
    batches: AsyncGenerator[list[StreamEvent], None],
    live: LiveReply,
    session: ChatSession,
    post: Callable[[Message], object],
    *,
    was_retry: bool = False,
) -> None:
    status = "complete"
    error_text: str | None = None
    retry_after: float | None = None
    streaming = False
    try:

        def on_state(event: ResponseStarted | RetryScheduled) -> None:
            nonlocal streaming
            if isinstance(event, ResponseStarted):
                if not streaming:
                    streaming = True
                    live.set_waiting("")
                    post(ReplyStateChanged("streaming"))
            else:
                streaming = False
                live.set_waiting(f"retrying in {event.delay:.0f} s ({event.reason})")
                post(ReplyStateChanged("retrying", retry_delay=event.delay, reason=event.reason))

        async with contextlib.aclosing(batches):  # closed (the response with it) whatever ends the loop
            async for batch in batches:
                show_batch(live, batch, session.reply, on_state)
        status = session.last_run.reply_status if session.last_run is not None else "complete"
        error_text = session.reply_note
    except asyncio.CancelledError:
        status = "stopped"
        raise
    except APIError as error:
        status = "error"
        error_text = str(error)
        if isinstance(error, APIStatusError):
            retry_after = error.retry_after
    except Exception as error:  # a bug must not leave the reply spinning forever; show it instead
        status = "error"
        error_text = f"unexpected error: {type(error).__name__}: {error}"
    finally:
        reply, run = session.reply, session.last_run
        cost = run.cost if run is not None else None
        cost_reported = run is not None and run.cost_reported
        usage = reply.usage.as_dict() if reply is not None and reply.usage is not None else None
        duration, ttft = (reply.duration, reply.ttft) if reply is not None else (None, None)
        live.finish(
            status=status,
            error=error_text,
            message_id=run.reply_message_id if run is not None else None,
            usage=usage,
            duration=duration,
            ttft=ttft,
            cost=cost,
            cost_reported=cost_reported,
        )
        if status == "complete" and asked_for_json(session.params.to_record()):
            live.mark_json_reply()  # parsed once, now that it is whole
        post(
            ReplyEnded(
                status=status,
                error=error_text,
                usage=usage,
                conversation_id=session.conversation_id,
                retry_after=retry_after,
                was_retry=was_retry,
                cost=cost,
                cost_reported=cost_reported,
                unpriced=int(is_unpriced(cost, usage, status, answered=ttft is not None)),
            )
        )
