"""The one streaming reply: appends go into buffers, a timer renders them at most 10 times a second.

Per-token UI work is waste (2,000 tokens/s is 33 tokens per 60 Hz frame), so `append_*` only buffer; the coalescer's
timer flushes, feeding the incremental Markdown renderer (completed blocks rendered once, the tail re-rendered,
an open fence plain until it closes). `finish()` always does a trailing flush, so the last tokens are never lost,
and leaves this widget as the message's finished view: nothing is rendered a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from textual.timer import Timer

from toki_tui.core.api.reply import TextBuffer
from toki_tui.core.text import StreamSanitizer
from toki_tui.ui.coalescer import DEFAULT_INTERVAL, PendingUpdate, UpdateCoalescer
from toki_tui.ui.code_render import prepare_lexer
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.message_view import MessageView

ROOM_MIN_LINES = 4
"""Blank lines a growing reply keeps below its text, at least. Each change of its height costs a layout and, while
the view follows the bottom, a repaint of the whole pane (every message on screen moves up); text filling lines
already there costs a repaint of those lines only. At 200 tokens/s a reply grows about a line per flush, so this
turns three layouts in four into small repaints, while the blank strip stays short enough not to look empty."""

ROOM_MAX_LINES = 16
"""...and at most: a fast reply keeps as much room as it grew by since its height last changed (about ten
lines per flush at 2,000 tokens/s), up to this, so it too lays out every other flush or less."""


class LiveReply(MessageView):
    """An assistant reply that is still arriving."""

    def __init__(self, *, model: str | None = None, flush_interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(DisplayMessage(id=None, role="assistant", content="", model=model, status="streaming"))
        self._coalescer = UpdateCoalescer(interval=flush_interval)
        self._flush_timer: Timer | None = None
        self._content_sanitizer = StreamSanitizer()
        self._reasoning_sanitizer = StreamSanitizer()
        self._refusal_sanitizer = StreamSanitizer()
        # Kept in blocks (TextBuffer), not a str per token: a str per token held ~50 bytes per few characters.
        self._raw_content = TextBuffer()
        self._raw_reasoning = TextBuffer()
        self._raw_refusal = TextBuffer()
        self._tool_calls: list[dict[str, Any]] | None = None
        self._content_started = False
        self._finished = False
        self._reasoning_expanded = True  # the thinking is worth watching until the answer starts
        self._lexers_prepared: set[str] = set()
        self._room_height = 0  # the height while streaming: never shrinks, grows in steps (ROOM_MIN_LINES)
        self._room_from = 0  # the line count when it last grew
        self.on_flushed: Callable[[], object] | None = None
        """Called after each timed flush, in the same turn of the event loop: what it changes elsewhere on the
        screen (the status line's speed) is drawn in the same frame as the new text, not in a frame of its own."""

    @property
    def is_finished(self) -> bool:
        return self._finished

    @property
    def message(self) -> DisplayMessage:
        """The reply so far (everything appended, flushed or not); once finished, the finished message."""
        if self._finished:
            return self._message
        return replace(
            self._message,
            content=self._raw_content.text(),
            reasoning=self._raw_reasoning.text() or None,
            refusal=self._raw_refusal.text() or None,
        )

    @property
    def content(self) -> str:
        """Everything appended so far, as received (the view shows it sanitized)."""
        if self._finished:
            return self._message.content
        return self._raw_content.text()

    def append_content(self, text: str) -> None:
        if not self._finished and text:
            self._raw_content.append(text)
            self._schedule(self._coalescer.add_content(text))

    def append_reasoning(self, text: str) -> None:
        if not self._finished and text:
            self._raw_reasoning.append(text)
            self._schedule(self._coalescer.add_reasoning(text))

    def append_refusal(self, text: str) -> None:
        if not self._finished and text:
            self._raw_refusal.append(text)
            self._schedule(self._coalescer.add_refusal(text))

    def set_tool_calls(self, calls: list[dict[str, Any]]) -> None:
        """The tool calls so far, in full (the caller accumulates the fragments)."""
        if not self._finished:
            self._tool_calls = [dict(call) for call in calls]
            self._schedule(self._coalescer.set_tool_calls(calls))

    def set_waiting(self, text: str) -> None:
        """A line saying what the reply waits for ("retrying in 3 s (HTTP 429)"); "" removes it."""
        if not self._finished:
            self._schedule(self._coalescer.set_waiting(text))

    def finish(
        self,
        *,
        status: str,
        error: str | None = None,
        message_id: int | None = None,
        usage: dict[str, Any] | None = None,
        duration: float | None = None,
        ttft: float | None = None,
        cost: float | None = None,
        cost_reported: bool = False,
    ) -> DisplayMessage:
        """End the stream: show everything still buffered, close any open fence (highlighting it once) and
        turn into the finished message view. Returns the message as it now stands. Calling it twice returns
        the same message."""
        if self._finished:
            return self._message
        self._finished = True
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        update = self._coalescer.take()
        if update is not None:
            self._apply(update, redraw=False)
        self._apply_text(
            self._content_sanitizer.flush(), self._reasoning_sanitizer.flush(), self._refusal_sanitizer.flush()
        )
        self._waiting = ""
        self._content.close()
        if self._content_started and not self._reasoning_toggled_by_user:
            self._reasoning_expanded = False
        self._message = DisplayMessage(
            id=message_id,
            role="assistant",
            content=self._raw_content.text(),
            reasoning=self._raw_reasoning.text() or None,
            status=status,
            model=self._message.model,
            error=error,
            tool_calls=self._tool_calls,
            usage=usage,
            refusal=self._raw_refusal.text() or None,
            duration=duration,
            ttft=ttft,
            cost=cost,
            cost_reported=cost_reported,
        )
        # The pieces as they arrived (one string per token) are now in the message: a finished view keeps its
        # text once, not also as thousands of small strings.
        self._raw_content, self._raw_reasoning, self._raw_refusal = TextBuffer(), TextBuffer(), TextBuffer()
        self._apply_classes()
        self._changed(chrome=True)
        return self._message

    def flush(self) -> None:
        """Render everything buffered now instead of at the next timer tick (for screenshots and tests)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
        self._flush()

    def _height_for(self, line_count: int) -> int:
        """While streaming, the height grows in steps with blank room below the text (ROOM_MIN_LINES), and does not
        shrink when the tail re-renders shorter; once finished, the height is the lines'."""
        if self._finished:
            return line_count
        if line_count > self._room_height:
            grown = line_count - self._room_from
            self._room_from = line_count
            self._room_height = line_count + min(ROOM_MAX_LINES, max(ROOM_MIN_LINES, grown))
        return self._room_height

    def reserve_height(self, height: int) -> None:
        """While streaming: be at least `height` lines tall, blank below the text (from the next layout on), so
        a scroller can show the text's end high in its view before the text gets there."""
        if not self._finished and height > self._room_height:
            self._room_height = height
            self.refresh(layout=True)

    @property
    def text_height(self) -> int:
        """The lines of text shown now (without the blank room below them), at the current width."""
        return len(self._all_lines(self.size.width))

    # -- flushing ---------------------------------------------------------------------------------------------

    def _schedule(self, flush_needed: bool) -> None:
        if flush_needed and self._flush_timer is None:
            # Textual timers need a positive delay; a millisecond still lets a burst of appends gather.
            delay = max(self._coalescer.due_in(), 0.001)
            self._flush_timer = self.set_timer(delay, self._flush, name="live-reply-flush")

    def _flush(self) -> None:
        self._flush_timer = None
        update = self._coalescer.take()
        if update is not None and not self._finished:
            self._apply(update, redraw=True)
            if self.on_flushed is not None:
                self.on_flushed()

    def _apply(self, update: PendingUpdate, *, redraw: bool) -> None:
        chrome = self._apply_text(
            self._content_sanitizer.feed(update.content),
            self._reasoning_sanitizer.feed(update.reasoning),
            self._refusal_sanitizer.feed(update.refusal),
        )
        if update.tool_calls is not None:
            self._message = DisplayMessage(
                id=None, role="assistant", content="", model=self._message.model, status="streaming",
                tool_calls=update.tool_calls,
            )  # fmt: skip
            chrome = True
        if update.waiting is not None and update.waiting != self._waiting:
            self._waiting = update.waiting
            chrome = True
        if redraw:
            self._changed(chrome=chrome)

    def _apply_text(self, content: str, reasoning: str, refusal: str) -> bool:
        """Feed sanitized text to the renderers; True if the small sections (fold line, badges) changed."""
        chrome = False
        if reasoning:
            had_reasoning = self.has_reasoning
            self._reasoning.feed(reasoning)
            chrome = True if not had_reasoning else not self._reasoning_expanded  # the word count changed
        if content:
            self._content.feed(content)
            language = self._content.open_fence_language
            if language and language not in self._lexers_prepared:
                self._lexers_prepared.add(language)
                self.run_worker(partial(prepare_lexer, language), thread=True, group="lexer", exit_on_error=False)
            if not self._content_started:
                self._content_started = True
                if self._waiting:
                    self._waiting = ""
                if self._reasoning_expanded and not self._reasoning_toggled_by_user:
                    self._reasoning_expanded = False
                chrome = True
        if refusal:
            self._refusal += refusal
            chrome = True
        return chrome
