"""One line under the conversation: model, streaming state, tokens per second while streaming, last usage.

Attributes down: the chat screen sets the reactives; the widget only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
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
        text-wrap: nowrap;
        text-overflow: ellipsis;
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
        return fit_to_width(self._pieces(), self.content_size.width)

    def _pieces(self) -> list[Piece]:
        pieces: list[Piece] = []
        model = displayable_line(self.model_id) if self.model_id else "no model"
        pieces.append(Piece(model, "bold $primary"))
        if self.endpoint_name:
            pieces.append(Piece(f" @ {displayable_line(self.endpoint_name)}", "$text-muted", drop_order=2))
        pieces.append(Piece(" · ", "$text-muted"))
        state_style = {
            "streaming": "bold $success",
            "waiting": "bold $warning",
            "error": "bold $error",
            "stopped": "$warning",
        }.get(self.state, "")
        pieces.append(Piece(self.state, state_style))
        if self.tokens_per_second is not None and self.state == "streaming":
            pieces.append(Piece(f" {self.tokens_per_second:,.0f} tok/s", "$accent"))
        if self.notice:
            pieces += [Piece(" · ", "$text-muted"), Piece(displayable_line(self.notice), "$warning")]
        elif usage := format_usage(self.last_usage):
            pieces += [Piece(" · ", "$text-muted", drop_order=1), Piece(usage, "", drop_order=1)]
        if self.costs:
            pieces.append(Piece(f" · {self.costs}", "$text-muted"))
        return pieces


@dataclass(frozen=True)
class Piece:
    """A part of the status line. `drop_order` > 0: left out, lowest first, when the line would not fit, so
    what matters most (the state, a notice, the costs with their "+ unpriced") is not the part cut off."""

    text: str
    style: str
    drop_order: int = 0


def fit_to_width(pieces: list[Piece], width: int) -> Content:
    """The pieces on one line of `width` cells, leaving out droppable ones while it is too long (what still
    does not fit is cut by the widget, with an ellipsis)."""
    kept = list(pieces)
    for order in sorted({piece.drop_order for piece in pieces if piece.drop_order}):
        if width <= 0 or sum(cell_len(piece.text) for piece in kept) <= width:
            break
        kept = [piece for piece in kept if piece.drop_order != order]
    return Content.assemble(*((piece.text, piece.style) for piece in kept))
