"""What the conversation pane shows for one message: a frozen, UI-side view of a stored or streamed message.

The widgets receive these ("attributes down") and never read the store themselves (docs/architecture.md boundary 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from toki_tui.core.attachments import attachment_label, attachments_from_records
from toki_tui.core.pricing import read_cost


class StoredMessageLike(Protocol):
    """What `from_stored` needs of a store row (toki_tui.core.store.records.StoredMessage); the rest is optional."""

    @property
    def role(self) -> str: ...


#: Statuses a message can end in (docs/architecture.md "Message lifecycle"); anything else is shown as-is.
KNOWN_STATUSES = ("complete", "streaming", "stopped", "length", "error", "interrupted")


@dataclass(frozen=True)
class DisplayMessage:
    """One message as the conversation pane shows it."""

    id: int | None
    """The store's message id, or None for a message not (yet) saved."""
    role: str
    """"user", "assistant", "system", "developer" or "tool"."""
    content: str
    """The visible text (for an assistant refusal, the refusal text when `status` says so)."""
    reasoning: str | None = None
    """"Thinking" text, shown dimmed in a block that folds."""
    status: str = "complete"
    """One of KNOWN_STATUSES; unknown values are shown as a badge with their own name."""
    model: str | None = None
    """The model that wrote an assistant message."""
    error: str | None = None
    """The server's error text when `status == "error"`."""
    tool_calls: list[dict[str, Any]] | None = None
    """Tool calls in the Chat Completions form: {"id", "type", "function": {"name", "arguments"}}."""
    tool_call_id: str | None = None
    """For a `tool` message: the id of the call it answers."""
    usage: dict[str, Any] | None = None
    """Token usage as stored (prompt_tokens, completion_tokens, ...)."""
    refusal: str | None = None
    """A refusal the model gave instead of (or besides) content; styled differently."""
    duration: float | None = None
    """Seconds from the request to the end of the reply (with `ttft`, the header's tokens per second)."""
    ttft: float | None = None
    """Seconds from the request to the first token."""
    json_reply: bool = False
    """Asked for as JSON (json_mode or a response_format): shown pretty-printed once complete, if it parses."""
    siblings: tuple[int, int] | None = None
    """(position, count) among the message's alternatives (same parent), 1-based, when it has any: `‹ 2/3 ›`."""
    attachments: tuple[str, ...] = ()
    """One label per attached file ("name · kind · size"); outside text, shown through safe_text."""
    cost: float | None = None
    """A reply's cost (core/pricing.py); None when unknown."""
    cost_reported: bool = False
    """Whether `cost` is the charge the server reported rather than an estimate."""

    @classmethod
    def from_stored(cls, m: StoredMessageLike) -> DisplayMessage:
        """Build from a store row. Duck-typed: only the attributes below are read, each optional but `role`."""
        return cls(
            id=getattr(m, "id", None),
            role=str(m.role),
            content=getattr(m, "content", None) or "",
            reasoning=getattr(m, "reasoning", None) or None,
            status=getattr(m, "status", None) or "complete",
            model=getattr(m, "model", None),
            error=getattr(m, "error", None),
            tool_calls=_json_list(getattr(m, "tool_calls", None)),
            tool_call_id=getattr(m, "tool_call_id", None),
            usage=_json_dict(getattr(m, "usage", None)),
            refusal=getattr(m, "refusal", None) or None,
            duration=_seconds(getattr(m, "duration", None)),
            ttft=_seconds(getattr(m, "ttft", None)),
            json_reply=asked_for_json(getattr(m, "params", None)),
            attachments=tuple(
                attachment_label(item) for item in attachments_from_records(getattr(m, "attachments", None))
            ),
            cost=read_cost(getattr(m, "cost_estimate", None)),
            cost_reported=getattr(m, "cost_reported", False) is True,
        )


def asked_for_json(params: object) -> bool:
    """Whether a reply's stored parameters asked for JSON (`ChatParams.to_record()` form)."""
    return isinstance(params, dict) and bool(params.get("json_mode") or params.get("response_format"))


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


def _json_list(value: object) -> list[dict[str, Any]] | None:
    """Tool calls may arrive decoded or as the JSON text the store keeps; anything malformed is dropped."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list) and value:
        return [item for item in value if isinstance(item, dict)] or None
    return None


def _json_dict(value: object) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and value else None
