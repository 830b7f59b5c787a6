"""One line under the conversation: model, streaming state, tokens per second while streaming, last usage.

Attributes down: the chat screen sets the reactives; the widget only formats them.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from toki_tui.core.text import displayable_line


def format_usage(usage: dict[str, int] | None) -> str:
    if not usage:
        return ""
    parts: list[str] = []
    if "prompt_tokens" in usage:
        parts.append(f"{usage['prompt_tokens']:,} in")
    if "completion_tokens" in usage:
        parts.append(f"{usage['completion_tokens']:,} out")
    if usage.get("reasoning_tokens"):
        parts.append(f"{usage['reasoning_tokens']:,} reasoning")
    if usage.get("cached_tokens"):
        parts.append(f"{usage['cached_tokens']:,} cached")
    return " · ".join(parts)


class StatusLine(Static):
    """Shows what the session is doing. `state` is a short word: ready, waiting, streaming, stopped, error..."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    model_id: reactive[str] = reactive("")
    state: reactive[str] = reactive("ready")
    tokens_per_second: reactive[float | None] = reactive(None)
    last_usage: reactive[dict[str, int] | None] = reactive(None)
    endpoint_name: reactive[str] = reactive("")
    notice: reactive[str] = reactive("")
    """A transient note (e.g. a retry countdown) shown in place of the usage."""
    costs: reactive[str] = reactive("")
    """Estimated costs, written by toki (no outside text): "conversation ≈$0.01 · session ≈$0.04 + unpriced"."""

    def render(self) -> Content:
        pieces: list[tuple[str, str]] = []
        model = displayable_line(self.model_id) if self.model_id else "no model"
        pieces.append((model, "bold $primary"))
        if self.endpoint_name:
            pieces.append((f" @ {displayable_line(self.endpoint_name)}", "$text-muted"))
        pieces.append((" · ", "$text-muted"))
        state_style = {
            "streaming": "bold $success",
            "waiting": "bold $warning",
            "error": "bold $error",
            "stopped": "$warning",
        }.get(self.state, "")
        pieces.append((self.state, state_style))
        if self.tokens_per_second is not None and self.state == "streaming":
            pieces.append((f" {self.tokens_per_second:,.0f} tok/s", "$accent"))
        tail = displayable_line(self.notice) if self.notice else format_usage(self.last_usage)
        if tail:
            pieces.append((" · ", "$text-muted"))
            pieces.append((tail, "$warning" if self.notice else ""))
        if self.costs:
            pieces.append((f" · {self.costs}", "$text-muted"))
        return Content.assemble(*pieces)
