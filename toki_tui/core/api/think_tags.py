"""Split `<think>…</think>` reasoning out of streamed content.

Some servers put a reasoning model's thinking inside `content` when no parser splits it out (vLLM's
deepseek_r1 parser docs, docs/protocol.md §2.5). Only a block at the very start of the reply counts: a `<think>`
tag later in a reply is ordinary text (the model may be talking about the tag). Tags may be split across deltas.
"""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class ThinkTagSplitter:
    """Feed content fragments; get back (content, reasoning) fragments with the think block routed aside."""

    __slots__ = ("_pending", "_state")

    def __init__(self) -> None:
        # "start": only whitespace so far; "thinking": inside <think>; "after_think": just past </think>;
        # "content": plain text from now on.
        self._state = "start"
        self._pending = ""

    @property
    def passthrough(self) -> bool:
        """True once the think block (if any) is behind us: from now on content is just content."""
        return self._state == "content"

    def feed(self, text: str) -> tuple[str, str]:
        if self._state == "content":
            return text, ""
        if self._state == "after_think":
            # The blank lines between "</think>" and the answer are layout, not content.
            text = text.lstrip("\n")
            if text:
                self._state = "content"
            return text, ""
        if self._state == "start":
            self._pending += text
            stripped = self._pending.lstrip()
            if not stripped:
                return "", ""
            if stripped.startswith(OPEN_TAG):
                self._state = "thinking"
                rest = stripped[len(OPEN_TAG) :]
                self._pending = ""
                return self._feed_thinking(rest)
            if OPEN_TAG.startswith(stripped):
                return "", ""  # could still become "<think>": wait for more
            self._state = "content"
            flushed, self._pending = self._pending, ""
            return flushed, ""
        return self._feed_thinking(text)

    def _feed_thinking(self, text: str) -> tuple[str, str]:
        buffer = self._pending + text
        end = buffer.find(CLOSE_TAG)
        if end >= 0:
            self._pending = ""
            self._state = "after_think"
            content, _ = self.feed(buffer[end + len(CLOSE_TAG) :])
            return content, buffer[:end]
        # Hold back a tail that could be the start of "</think>" split across deltas.
        keep = 0
        for size in range(min(len(CLOSE_TAG) - 1, len(buffer)), 0, -1):
            if CLOSE_TAG.startswith(buffer[-size:]):
                keep = size
                break
        self._pending = buffer[len(buffer) - keep :] if keep else ""
        return "", buffer[: len(buffer) - keep]

    def flush(self) -> tuple[str, str]:
        """At the end of the stream: whatever is still held back."""
        pending, self._pending = self._pending, ""
        if self._state == "thinking":
            return "", pending
        return pending, ""
