"""Shared pieces of the TUI benchmarks: a chat-like app (conversation pane above an Input), paint probes that
note when a given text is actually painted, reply generators, and percentile helpers.

A "paint" is the compositor asking a widget for its lines, which happens in headless runs too (only the final
write to the terminal is skipped there; bench_tui_stream --pty measures with the write).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Input

from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.live_reply import LiveReply

END_MARKER = "END-OF-REPLY"


class ProbedInput(Input):
    """An Input that notes when a typed key becomes visible: the k-th key shows as k 'x' characters."""

    def __init__(self) -> None:
        super().__init__(id="prompt")
        self.keys_sent = 0
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []

    def note_key_sent(self) -> None:
        self.keys_sent += 1
        self.sent_at[self.keys_sent] = time.perf_counter()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.sent_at:
            shown = strip.text.count("x")
            for key_number in [k for k in self.sent_at if k <= shown]:
                self.latencies.append(time.perf_counter() - self.sent_at.pop(key_number))
        return strip


class BenchApp(App[None]):
    CSS = "ProbedInput { dock: bottom; }"

    def compose(self) -> ComposeResult:
        yield ConversationView()
        yield ProbedInput()

    @property
    def conversation(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def prompt(self) -> ProbedInput:
        return self.query_one(ProbedInput)


class PaintProbe:
    """Patches a widget class's render_line to note the first time a painted line contains `needle`."""

    def __init__(self, widget_class: type[Any], needle: str) -> None:
        self.needle = needle
        self.seen_at: float | None = None
        original: Callable[[Any, int], Strip] = widget_class.render_line
        probe = self

        def render_line(widget: Any, y: int) -> Strip:
            strip = original(widget, y)
            if probe.seen_at is None and probe.needle in strip.text:
                probe.seen_at = time.perf_counter()
            return strip

        self._class = widget_class
        self._original = original
        widget_class.render_line = render_line

    def restore(self) -> None:
        self._class.render_line = self._original


WORDS = [
    *[
        "the",
        "model",
        "streams",
        "tokens",
        "quickly",
        "while",
        "the",
        "terminal",
        "keeps",
        "pace",
        "and",
        "the",
        "user",
        "types",
        "a",
        "follow",
        "up",
    ],
    *[
        "question",
        "about",
        "latency",
        "throughput",
        "rendering",
        "markdown",
        "blocks",
        "lists",
        "tables",
        "and",
        "code",
    ],
]

CODE_LINES = [
    "def handle(request, *, timeout=30):",
    "    response = client.post(url, json=request.payload, timeout=timeout)",
    "    if response.status_code >= 400:",
    '        raise ApiError(f"{response.status_code}: {response.text}")',
    "    for item in response.json()['items']:",
    "        yield Item(id=item['id'], name=item['name'], score=float(item['score']))",
    "    return None  # nothing more",
]


def tokenize(text: str) -> list[str]:
    """Roughly one token per word with its trailing whitespace; long words split every 4 characters."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    tokens: list[str] = []
    for piece in pieces:
        tokens.extend(piece[i : i + 6] for i in range(0, len(piece), 6))
    return tokens


def mixed_markdown(token_count: int, seed: int = 4) -> list[str]:
    """Paragraphs, headings, lists and short code fences, about `token_count` tokens, ending in END_MARKER."""
    rng = random.Random(seed)
    parts: list[str] = []
    tokens = 0
    section = 0
    while tokens < token_count:
        kind = section % 4
        if kind == 0:
            parts.append(f"## Section {section}\n\n")
        if kind in (0, 2):
            parts.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120))) + ".\n\n")
        elif kind == 1:
            parts.append("".join(f"- **{rng.choice(WORDS)}**: {' '.join(rng.sample(WORDS, 8))}\n" for _ in range(6)))
            parts.append("\n")
        else:
            parts.append("```python\n" + "\n".join(rng.sample(CODE_LINES, 5)) + "\n```\n\n")
        tokens = len(tokenize("".join(parts)))
        section += 1
    parts.append(f"Last words {END_MARKER}")
    return tokenize("".join(parts))


def long_fence(fence_tokens: int) -> list[str]:
    """A short intro, one code fence of about `fence_tokens` tokens, and END_MARKER after it closes."""
    code: list[str] = []
    while len(tokenize("\n".join(code))) < fence_tokens:
        code.append(CODE_LINES[len(code) % len(CODE_LINES)])
    text = "Here is the whole module:\n\n```python\n" + "\n".join(code) + f"\n```\n\nThat is all. {END_MARKER}"
    return tokenize(text)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def streaming_target(app: BenchApp) -> LiveReply:
    live = app.conversation.live_reply
    assert live is not None
    return live
