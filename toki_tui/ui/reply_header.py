"""The facts a reply's header line shows after its model: " · 1,234 tokens · 42.1 tok/s · ≈$0.0012" (an estimate;
a charge the server reported is "$0.0012")."""

from __future__ import annotations

from toki_tui.core.pricing import format_cost
from toki_tui.core.reply_facts import speed_text, tokens_per_second
from toki_tui.ui.display import DisplayMessage


def reply_header_facts(message: DisplayMessage) -> str:
    """Tokens, speed and the cost, each only when known ("" for a message with none of them; an
    unknown cost is left out here, and the details say why it is unknown)."""
    cost = f" · {format_cost(message.cost, reported=message.cost_reported)}" if message.cost is not None else ""
    tokens = (message.usage or {}).get("completion_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool):
        return cost
    facts = f" · {tokens:,} token{'' if tokens == 1 else 's'}"  # "1 token", not "1 tokens"
    speed = tokens_per_second(tokens, message.duration, message.ttft)
    return facts + (f" · {speed_text(speed)}" if speed is not None else "") + cost
