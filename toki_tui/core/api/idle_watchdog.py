"""An idle timer that only content resets (docs/protocol.md §2.6, §6.21).

httpx's read timeout resets on every byte, so a server that sends `: keep-alive` comments forever would hold a
stream open indefinitely. The watchdog instead tracks the last time *content* arrived and, when the idle limit
(or the overall ceiling) passes while the stream is waiting for bytes, cancels the waiting read.

It costs one float assignment per content event, where an `asyncio.timeout()` per read would cost microseconds
per network chunk on the hot path.
"""

from __future__ import annotations

import asyncio


class IdleWatchdog:
    __slots__ = (
        "_deadline_total",
        "_handle",
        "_idle",
        "_idle_limit",
        "_loop",
        "_task",
        "finished",
        "fired",
        "last_content",
        "reading",
    )

    def __init__(self, idle: float, total: float | None) -> None:
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None, "IdleWatchdog must be created inside a task"
        self._task = task
        self._idle = idle
        self._idle_limit = idle
        now = self._loop.time()
        self._deadline_total = now + total if total is not None else None
        self.last_content = now
        self.reading = False
        self.fired: str | None = None
        #: The reply looks over (a finish reason, then a chunk without content): only usage and the end of the
        #: body may still come.
        self.finished = False
        self._handle: asyncio.TimerHandle | None = self._loop.call_at(self._deadline(), self._check)

    def _deadline(self) -> float:
        deadline = self.last_content + self._idle
        if self._deadline_total is not None:
            deadline = min(deadline, self._deadline_total)
        return deadline

    def touch(self) -> None:
        """Content arrived: the idle limit counts from now."""
        self.last_content = self._loop.time()

    def reply_finished(self, grace: float) -> None:
        """The reply got its finish reason: from now on wait at most `grace` seconds of silence for what may
        follow (usage, `[DONE]`, the end of the body) before the stream is ended as complete."""
        if not self.finished:
            self.finished = True
            self._idle = min(self._idle, grace)
            self.touch()
            if self._handle is not None:  # the check due is for the longer limit: bring it forward
                self._handle.cancel()
                self._handle = self._loop.call_at(self._deadline(), self._check)

    def reply_resumed(self) -> None:
        """Content came after the finish: the full idle limit applies again."""
        self.finished = False
        self._idle = self._idle_limit

    def _check(self) -> None:
        now = self._loop.time()
        deadline = self._deadline()
        if now < deadline:
            self._handle = self._loop.call_at(deadline, self._check)
            return
        if not self.reading:
            # The consumer is busy with an event; check again right after it asks for more.
            self._handle = self._loop.call_at(now + 0.05, self._check)
            return
        total_passed = self._deadline_total is not None and now >= self._deadline_total
        self.fired = "total" if total_passed else "idle"
        self._handle = None
        self._task.cancel()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def absorb_cancellation(self) -> bool:
        """Called on CancelledError during a read: True if the watchdog caused it (and it is now undone)."""
        if self.fired is None:
            return False
        self._task.uncancel()
        return True
