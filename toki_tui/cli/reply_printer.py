"""How `toki ask` writes a reply as it streams: content to stdout, reasoning to stderr (dimmed on a terminal),
terminal escapes taken out, one flush per burst of events."""

from __future__ import annotations

import asyncio
from typing import TextIO

from toki_tui.cli.common import report
from toki_tui.core.api.events import ContentDelta, ReasoningDelta, RefusalDelta, RetryScheduled, StreamEvent
from toki_tui.core.text import StreamSanitizer

_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


class ReplyPrinter:
    """Writes deltas as they arrive. Flushes once per burst of events (when the loop goes back to the network),
    not once per token: a flush is a system call, and at thousands of tokens a second it would dominate."""

    def __init__(self, out: TextIO, err: TextIO, *, label: str = "") -> None:
        """`label` names the reply in what is reported on stderr (`toki ask --compare`: its model), as several
        replies may retry at once."""
        self.out = out
        self.err = err
        self._label = f"{label}: " if label else ""
        self.err_is_tty = err.isatty()
        self._flush_scheduled = False
        self._in_reasoning = False
        self.printed_content = False
        self.pipe_closed = False
        self.ends_with_newline = True
        # A delta may end inside an escape sequence: each stream holds the unfinished end until the next delta.
        self._content_text = StreamSanitizer()
        self._reasoning_text = StreamSanitizer()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        # Runs as an event-loop callback: a closed pipe is remembered and raised from handle(), in the stream.
        self._flush_scheduled = False
        try:
            self.out.flush()
            self.err.flush()
        except BrokenPipeError:
            self.pipe_closed = True

    def handle_batch(self, batch: list[StreamEvent]) -> None:
        """The events of one network read. Consecutive text is written with one call, not one per token."""
        run: list[str] = []
        for event in batch:
            if event.__class__ is ContentDelta and event.choice_index == 0:
                run.append(event.text)
                continue
            if run:
                self.handle(ContentDelta("".join(run)))
                run = []
            self.handle(event)
        if run:
            self.handle(ContentDelta("".join(run)))

    def handle(self, event: StreamEvent) -> None:
        if self.pipe_closed:
            raise BrokenPipeError("the reader of the output went away")
        if isinstance(event, ContentDelta | RefusalDelta):
            if event.choice_index != 0:
                return
            self._end_reasoning()
            self._write_content(self._content_text.feed(event.text))
        elif isinstance(event, ReasoningDelta):
            if event.choice_index != 0:
                return
            if not self._in_reasoning:
                self._in_reasoning = True
                if self.err_is_tty:
                    self.err.write(_DIM)
            self.err.write(self._reasoning_text.feed(event.text))
            self._schedule_flush()
        elif isinstance(event, RetryScheduled):
            report(f"{self._label}{event.reason}; retrying in {event.delay:.1f} s (attempt {event.attempt})", self.err)

    def _write_content(self, text: str) -> None:
        if not text:
            return
        self.out.write(text)
        self.printed_content = True
        self.ends_with_newline = text.endswith("\n")
        self._schedule_flush()

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self.err.write(self._reasoning_text.flush())
            self._in_reasoning = False
            self.err.write((_RESET if self.err_is_tty else "") + "\n")

    def finish(self) -> None:
        if self.pipe_closed:
            return
        self._end_reasoning()
        self._write_content(self._content_text.flush())
        if self.printed_content and not self.ends_with_newline and self.out.isatty():
            self.end_line()
        self.flush()

    def end_line(self) -> None:
        """End a partial reply's line, so what is reported next (on stderr, often the same terminal) starts on
        a line of its own."""
        if self.printed_content and not self.ends_with_newline and not self.pipe_closed:
            self.out.write("\n")
            self.ends_with_newline = True
            self.flush()
