"""How a reply was made, as label/value lines: the reply-details dialog, and the speed in a reply's header.

Pure functions over a stored message's fields (no I/O, no rich): every value is returned as plain text for the
UI to show as text, never as markup, since model ids, parameters and error messages come from outside.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from toki_tui.core.api.reply import SPEED_WINDOW, speed
from toki_tui.core.pricing import COST_DIGITS, Price, format_cost, reply_cost

USAGE_LABELS = (
    ("prompt_tokens", "Prompt tokens"),
    ("completion_tokens", "Completion tokens"),
    ("total_tokens", "Total tokens"),
    ("reasoning_tokens", "Reasoning tokens"),
    ("cached_tokens", "Cached prompt tokens"),
)


class ReplyRecord(Protocol):
    """What the details need of a stored message (toki_tui.core.store.records.StoredMessage)."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def model(self) -> str | None: ...
    @property
    def endpoint(self) -> str | None: ...
    @property
    def params(self) -> dict[str, Any] | None: ...
    @property
    def usage(self) -> dict[str, Any] | None: ...
    @property
    def ttft(self) -> float | None: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def finish_reason(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def cost_estimate(self) -> float | None: ...
    @property
    def price(self) -> Price | None: ...
    @property
    def cost_reported(self) -> bool: ...


def tokens_per_second(completion_tokens: object, duration: float | None, ttft: float | None) -> float | None:
    """Output speed: completion tokens over the time they took to arrive (from the first token when that is
    known, so a slow first byte does not read as a slow model); None when either is unknown, or when the tokens
    took less than SPEED_WINDOW to arrive."""
    if not isinstance(completion_tokens, int) or isinstance(completion_tokens, bool) or completion_tokens <= 0:
        return None
    if duration is None:
        return None
    elapsed = duration - ttft if ttft is not None and 0 <= ttft < duration else duration
    return speed(completion_tokens, elapsed)


def speed_text(speed: float) -> str:
    return f"{speed:,.1f} tok/s" if speed < 100 else f"{speed:,.0f} tok/s"


def reply_measures(message: ReplyRecord) -> list[str]:
    """What a reply took, for a one-line summary after its model (Markdown exports, `toki history show`): its
    time ("4.2 s"), its tokens ("312 tokens") and its estimated cost, each only when known."""
    measures = []
    if message.duration is not None:
        measures.append(f"{message.duration:.1f} s")
    tokens = (message.usage or {}).get("completion_tokens")
    if isinstance(tokens, int):
        measures.append(f"{tokens} token{'' if tokens == 1 else 's'}")
    if message.cost_estimate is not None:
        measures.append(format_cost(message.cost_estimate, reported=message.cost_reported))
    return measures


def _seconds(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _param_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _unknown_speed(usage: dict[str, Any], duration: float | None) -> str:
    """Why a reply's speed is not shown."""
    if not isinstance(usage.get("completion_tokens"), int) or usage["completion_tokens"] <= 0:
        return "unknown (no completion token count)"
    if duration is None:
        return "unknown (no timing)"
    return f"unknown (the tokens came in under {SPEED_WINDOW:g} s: too fast to measure)"


def detail_rows(message: ReplyRecord) -> list[tuple[str, str]]:
    """(label, value) for everything known about how `message` was made, in reading order. Parameters are
    listed one by one as they were sent; a parameter not sent was left to the server."""
    rows: list[tuple[str, str]] = [
        ("Model", message.model or "unknown"),
        ("Endpoint", message.endpoint or "unknown"),
        ("Status", message.status),
        ("Finish reason", message.finish_reason or "none given"),
    ]
    params = message.params or {}
    if params:
        rows.append(("Parameters sent", f"{len(params)}"))
        rows += [(f"  {name}", _param_value(value)) for name, value in params.items()]
    else:
        rows.append(("Parameters", "none sent (the server's defaults)"))
    usage = message.usage or {}
    known = [(label, usage[key]) for key, label in USAGE_LABELS if isinstance(usage.get(key), int)]
    rows += [(label, f"{count:,}") for label, count in known]
    rows += [(name, f"{count:,}") for name, count in usage.items() if name not in dict(USAGE_LABELS)]
    if not usage:
        rows.append(("Usage", "not reported by the server"))
    rows.append(("Time to first token", _seconds(message.ttft)))
    rows.append(("Duration", _seconds(message.duration)))
    speed = tokens_per_second(usage.get("completion_tokens"), message.duration, message.ttft)
    rows.append(("Speed", speed_text(speed) if speed is not None else _unknown_speed(usage, message.duration)))
    if message.cost_estimate is not None and message.cost_reported:
        rows.append(("Cost", f"{exact_cost(message.cost_estimate)}: reported by the server"))
    else:
        rows.append(("Cost (estimate)", cost_detail(message.cost_estimate, message.price, usage)))
    if message.error:
        rows.append(("Error", message.error))
    return rows


def _per_million(value: float) -> str:
    return f"{value:,.6f}".rstrip("0").rstrip(".") if value else "0"


def exact_cost(cost: float) -> str:
    """A charge to the digit the history keeps ("$0.000321", "$1.50"), to compare with the server's bill: the
    header's two significant digits would round it."""
    text = f"{cost:.{COST_DIGITS}f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def cost_detail(cost: float | None, price: Price | None, usage: dict[str, Any]) -> str:
    """The estimated cost and how it was reached, or why it is unknown (never shown as 0 when unknown)."""
    source = {"config": "the config's price", "server": "the server's price"}
    from_usage = reply_cost(usage, price)
    if cost is not None and price is not None and from_usage == cost:
        return (
            f"{format_cost(cost)}: {usage['prompt_tokens']:,} prompt tokens at "
            f"{_per_million(price.input_per_million)} and {usage['completion_tokens']:,} completion tokens at "
            f"{_per_million(price.output_per_million)} per million ({source[price.source]})"
        )
    if cost is not None and from_usage is not None:
        return f"{format_cost(cost)}: the reply was continued, and this adds up the cost of each part"
    if cost is not None:
        return format_cost(cost)
    if price is None:
        return 'unknown: no price for this model when it ended (a [models."ID"] table in the config can set one)'
    return "unknown: the server reported no token counts"
