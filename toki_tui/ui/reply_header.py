"""The facts a reply's header line shows after its model: " · 1,234 tokens · 42.1 tok/s"."""

from __future__ import annotations

from toki_tui.core.reply_facts import speed_text, tokens_per_second
from toki_tui.ui.display import DisplayMessage


def reply_header_facts(message: DisplayMessage) -> str:
    """Tokens and speed, each only when known ("" for a message with neither)."""
    tokens = (message.usage or {}).get("completion_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool):
        return ""
    facts = f" · {tokens:,} tokens"
    speed = tokens_per_second(tokens, message.duration, message.ttft)
    return facts + (f" · {speed_text(speed)}" if speed is not None else "")
