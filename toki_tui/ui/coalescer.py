"""Coalesce streamed fragments so that the UI does work per frame, not per token.

At 2,000 tokens/s and 60 frames/s about 33 tokens arrive per frame; rendering each one is pure waste. The live
reply widget appends fragments here (cheap list appends) and asks `due_in()` when to flush; a timer then calls
`take()` at most once per `interval`. `take()` on finish/stop/error is the trailing flush that guarantees the last
tokens are shown. This module knows nothing about Textual, so its timing rules are tested without an app.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_INTERVAL = 0.1
"""Seconds between flushes: 10 updates a second, the slow end of the 50-100 ms the design allows. Each flush of
a growing reply costs a layout and a repaint of the pane; at 15 a second, a key typed during a fast stream
waited behind them more often (tests/benchmarks/bench_tui_app_pty.py)."""


@dataclass
class PendingUpdate:
    """Everything that arrived since the last flush."""

    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    """The latest full list of tool calls (replaces, not appends), if it changed."""
    waiting: str | None = None
    """The latest waiting text ("" clears it), if it changed."""


@dataclass
class UpdateCoalescer:
    """Buffers for one streaming message, and the clock that spaces out flushes."""

    interval: float = DEFAULT_INTERVAL
    clock: Callable[[], float] = time.monotonic
    _content: list[str] = field(default_factory=list)
    _reasoning: list[str] = field(default_factory=list)
    _refusal: list[str] = field(default_factory=list)
    _tool_calls: list[dict[str, Any]] | None = None
    _waiting: str | None = None
    _last_flush: float = float("-inf")
    _has_pending: bool = False

    @property
    def has_pending(self) -> bool:
        return self._has_pending

    def add_content(self, text: str) -> bool:
        """Buffer a content fragment. Returns True if this made the buffer non-empty (schedule a flush)."""
        if text:
            self._content.append(text)
        return self._mark(bool(text))

    def add_reasoning(self, text: str) -> bool:
        if text:
            self._reasoning.append(text)
        return self._mark(bool(text))

    def add_refusal(self, text: str) -> bool:
        if text:
            self._refusal.append(text)
        return self._mark(bool(text))

    def set_tool_calls(self, calls: list[dict[str, Any]]) -> bool:
        self._tool_calls = list(calls)
        return self._mark(True)

    def set_waiting(self, text: str) -> bool:
        self._waiting = text
        return self._mark(True)

    def _mark(self, changed: bool) -> bool:
        if not changed or self._has_pending:
            return False
        self._has_pending = True
        return True

    def due_in(self) -> float:
        """Seconds until the next flush may happen (0 when one is due now)."""
        return max(0.0, self._last_flush + self.interval - self.clock())

    def take(self) -> PendingUpdate | None:
        """Hand over and clear everything buffered, or None if nothing was."""
        if not self._has_pending:
            return None
        update = PendingUpdate(
            content="".join(self._content),
            reasoning="".join(self._reasoning),
            refusal="".join(self._refusal),
            tool_calls=self._tool_calls,
            waiting=self._waiting,
        )
        self._content.clear()
        self._reasoning.clear()
        self._refusal.clear()
        self._tool_calls = None
        self._waiting = None
        self._has_pending = False
        self._last_flush = self.clock()
        return update
