"""The reply pump: a network read's content reaches the live reply as one append, in order with the rest."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from toki_tui.core.api.events import ContentDelta, ReasoningDelta, ResponseStarted, StreamEvent
from toki_tui.core.api.params import ChatParams
from toki_tui.ui.screens.reply_pump import pump_reply
from toki_tui.ui.screens.worker_messages import ReplyEnded, ReplyStateChanged


class RecordingLive:
    """Stands in for the LiveReply widget: notes what the pump hands it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def append_content(self, text: str) -> None:
        self.calls.append(("content", text))

    def append_reasoning(self, text: str) -> None:
        self.calls.append(("reasoning", text))

    def set_waiting(self, text: str) -> None:
        self.calls.append(("waiting", text))

    def finish(self, **details: Any) -> None:
        self.calls.append(("finish", details["status"]))


class StubRun:
    reply_status = "complete"
    reply_message_id = 7
    cost = None
    cost_reported = False


class StubSession:
    reply = None
    last_run = StubRun()
    reply_note = None
    conversation_id = "c1"
    params = ChatParams()


async def test_each_read_is_one_append_of_its_content_kept_in_order_with_reasoning() -> None:
    closed = False

    async def batches() -> AsyncGenerator[list[StreamEvent], None]:
        nonlocal closed
        try:
            yield [ResponseStarted(200), ContentDelta("Hel"), ContentDelta("lo"), ContentDelta(" wor")]
            yield [ContentDelta("ld"), ReasoningDelta("hm"), ContentDelta("!"), ContentDelta("", 1)]
            yield [ContentDelta("other choice", 1)]
        finally:
            closed = True

    live = RecordingLive()
    posted: list[object] = []
    await pump_reply(batches(), live, StubSession(), posted.append)  # type: ignore[arg-type]
    assert live.calls == [
        ("waiting", ""),
        ("content", "Hello wor"),
        ("content", "ld"),
        ("reasoning", "hm"),
        ("content", "!"),
        ("finish", "complete"),
    ]
    assert closed
    assert isinstance(posted[0], ReplyStateChanged) and isinstance(posted[-1], ReplyEnded)
