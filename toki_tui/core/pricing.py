"""What models cost and what a reply cost: prices per million tokens, where they came from, and the estimate.

A price is a pair (input, output) in currency units per million tokens. It comes from the config
(`[models."id"] price_in = 0.27, price_out = 1.10`) or from the server's `/models` list (read in
core/api/model_info.py, the one place that reads `/models` entries, with the value parsers below); the config wins.

Unknown is never 0: a price that is missing, negative (OpenRouter's "-1" means "dynamic pricing"), not a number,
infinite or implausibly large is unknown, and so is the cost of a reply whose price or usage is unknown. A price
of exactly 0 is a real price (a free model), and its replies really cost 0.

A reply's cost is what the server reported it charged, when it says (OpenRouter's `usage.cost`, read in
core/api/chunks.py with `reported_charge` below); else an estimate: prompt tokens at the input price plus completion
tokens at the output price, where discounts the server may give (cached prompt tokens) and per-request fees are not
counted. People see the difference: an estimate is written "≈$0.0012", a reported charge "$0.0012".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

PriceSource = Literal["server", "config"]

MAX_PRICE_PER_MILLION = 10_000.0
"""The highest believable price per million tokens (the dearest real models cost a few hundred). A larger value is
a unit mix-up (a per-million price in a per-token field would be a million times too big) or garbage, and is
treated as unknown rather than shown as a fortune."""

MAX_REPORTED_CHARGE = 1_000.0
"""The highest believable charge for one reply, in the currency the server reports: a million tokens at the dearest
prices cost a few hundred. A larger value is garbage (or another unit) and is not taken as the reply's cost."""

COST_DIGITS = 10
"""Costs are rounded to this many decimals: below any currency's smallest unit, above float noise."""

SMALLEST_SHOWN = 0.000001
"""Costs below this are shown as "<$0.000001" rather than rounded to a zero that would read as free."""


@dataclass(frozen=True, slots=True)
class Price:
    """Currency units per million input (prompt) and output (completion) tokens, and where the price came from."""

    input_per_million: float
    output_per_million: float
    source: PriceSource

    def __post_init__(self) -> None:
        for name in ("input_per_million", "output_per_million"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or checked_per_million(value) is None:
                raise ValueError(f"Price.{name}: expected a number from 0 to {MAX_PRICE_PER_MILLION:,.0f}")
        if self.source not in ("server", "config"):
            raise ValueError('Price.source: expected "server" or "config"')

    def to_record(self) -> dict[str, object]:
        """The price as stored with a reply and exported."""
        return {"input_per_million": self.input_per_million, "output_per_million": self.output_per_million,
                "source": self.source}  # fmt: skip


def price_from_record(value: object) -> Price | None:
    """A stored or imported price record read back; None when it is not one (a damaged or hand-made record)."""
    if not isinstance(value, dict) or value.get("source") not in ("server", "config"):
        return None
    halves = [value.get("input_per_million"), value.get("output_per_million")]
    if any(isinstance(half, str) for half in halves):
        return None
    prompt, completion = (checked_per_million(half) for half in halves)
    if prompt is None or completion is None:
        return None
    return Price(prompt, completion, value["source"])


def read_cost(value: object) -> float | None:
    """A stored or imported cost: a finite number of at least 0, else None (unknown)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def reported_charge(value: object) -> float | None:
    """A charge the server reported for a reply (a JSON number, or the decimal text of a response header): a finite
    number from 0 to MAX_REPORTED_CHARGE, else None (not reported: the cost is then estimated, if it can be)."""
    number = _number(value)
    if number is None or not math.isfinite(number) or number < 0 or number > MAX_REPORTED_CHARGE:
        return None
    return round(number, COST_DIGITS)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and len(value) <= 64:
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def checked_per_million(value: object) -> float | None:
    """A per-million price (number or decimal string) as a float; None when unknown: missing, negative (the
    "-1" sentinel), NaN, infinite, above MAX_PRICE_PER_MILLION, or not a number at all."""
    number = _number(value)
    if number is None or not math.isfinite(number) or number < 0 or number > MAX_PRICE_PER_MILLION:
        return None
    return number


def per_million_from_per_token(value: object) -> float | None:
    """A per-token price (OpenRouter sends decimal strings such as "0.00000027") as a per-million price, rounded
    to what the server meant ("0.00000005" * 1e6 is 0.049999999999999996 in binary floating point); None when
    unknown, as for checked_per_million."""
    number = _number(value)
    if number is None or not math.isfinite(number) or number < 0:
        return None
    return checked_per_million(round(number * 1_000_000, 6))


def server_price(input_per_million: float | None, output_per_million: float | None) -> Price | None:
    """The price a server's list gives, when it gives both halves (a reply's cost needs both)."""
    prompt, completion = checked_per_million(input_per_million), checked_per_million(output_per_million)
    if prompt is None or completion is None:
        return None
    return Price(prompt, completion, "server")


class PricedModel(Protocol):
    """What the price lookup needs of a model from the list (core/api/model_info.ModelInfo)."""

    @property
    def id(self) -> str: ...
    @property
    def price(self) -> Price | None: ...


class PriceBook:
    """The price in force for each model: the config's, else the server list's, else unknown (None)."""

    def __init__(self, configured: Mapping[str, Price] | None = None, listed: Iterable[PricedModel] = ()) -> None:
        self._configured = dict(configured or {})
        self._listed: dict[str, Price] = {}
        self.update_listed(listed)

    def update_listed(self, models: Iterable[PricedModel]) -> None:
        """Replace the server's prices with those of a newly read list."""
        self._listed = {model.id: price for model in models if (price := model.price) is not None}

    def price_for(self, model: str) -> Price | None:
        return self._configured.get(model) or self._listed.get(model)


def no_price(model: str) -> Price | None:
    """The price lookup of a session given none: every price unknown."""
    return None


def token_count(usage: Mapping[str, object] | None, name: str) -> int | None:
    """A count from a usage record ("prompt_tokens", "completion_tokens"): a whole number of at least 0, else
    None."""
    value = None if usage is None else usage.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def reply_cost(usage: Mapping[str, object] | None, price: Price | None) -> float | None:
    """The estimated cost of a reply: prompt tokens at the input price plus completion tokens at the output
    price. None (unknown, never 0) when the price is unknown or the usage lacks either count."""
    if usage is None or price is None:
        return None
    prompt, completion = token_count(usage, "prompt_tokens"), token_count(usage, "completion_tokens")
    if prompt is None or completion is None:
        return None
    cost = (prompt * price.input_per_million + completion * price.output_per_million) / 1_000_000
    return round(cost, COST_DIGITS)


class ReportedUsage(Protocol):
    """What `cost_of` needs of a reply's usage (core/api/events.Usage)."""

    @property
    def cost(self) -> float | None: ...
    def as_dict(self) -> dict[str, int]: ...


def cost_of(usage: ReportedUsage | None, price: Price | None) -> tuple[float | None, bool]:
    """A reply's cost and whether the server reported it: its reported charge when there is one, else the
    estimate from its token counts and `price` (reply_cost), else unknown: (None, False)."""
    if usage is not None and usage.cost is not None:
        return usage.cost, True
    return reply_cost(usage.as_dict() if usage is not None else None, price), False


def added_costs(first: float | None, second: float | None) -> float | None:
    """Two costs added (a reply and its continuation); unknown if either is."""
    if first is None or second is None:
        return None
    return round(first + second, COST_DIGITS)


def format_cost(cost: float, *, reported: bool = False) -> str:
    """A cost for people, marked as an estimate: "≈$0.0012", "≈$0.25", "≈$1.25", "≈$0" for a free reply; a charge
    the server reported (`reported`) has no "≈": "$0.0012". Small costs keep two significant digits, so a cheap
    reply never reads as free."""
    mark = "" if reported else "≈"
    if cost <= 0:
        return f"{mark}$0"
    if cost < SMALLEST_SHOWN:
        return f"<${SMALLEST_SHOWN:.6f}"
    if cost >= 1:
        return f"{mark}${cost:,.2f}"
    decimals = max(2, 1 - math.floor(math.log10(cost)))
    text = f"{cost:.{decimals}f}"
    while text.endswith("0") and len(text.partition(".")[2]) > 2:
        text = text[:-1]
    return f"{mark}${text}"


def format_total(cost: float | None, unpriced: int, *, reported: bool = False) -> str:
    """A total over replies some of which may be unpriced, said honestly: "≈$0.04", "≈$0.04 + unpriced",
    "unpriced" (none priced), or "" when there is nothing to count. `reported`: every priced reply's cost is a
    charge the server reported, so the total is no estimate ("$0.04")."""
    if cost is None:
        return "unpriced" if unpriced else ""
    return format_cost(cost, reported=reported) + (" + unpriced" if unpriced else "")
