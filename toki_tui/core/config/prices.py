"""Prices and the daily budget in the config: `[models."id"]` tables and `budget_per_day`, checked.

    budget_per_day = 2.0

    [models."deepseek/deepseek-chat-v3"]
    price_in = 0.27     # per million prompt tokens
    price_out = 1.10    # per million completion tokens

A configured price wins over the one the server's `/models` list gives (core/pricing.py). Both halves are needed:
a reply's cost counts prompt and completion tokens, so half a price would make every cost unknown anyway, and a
half left out is more likely a mistake than a wish.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from toki_tui.core.pricing import MAX_PRICE_PER_MILLION, Price

if TYPE_CHECKING:
    from toki_tui.core.config.problems import Problems

MODEL_KEYS = ("price_in", "price_out")
_PRICE_FORM = f"a price per million tokens from 0 to {MAX_PRICE_PER_MILLION:,.0f}, such as 0.27"


def valid_price(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_PRICE_PER_MILLION
    ):
        raise ValueError(_PRICE_FORM)
    return float(value)


def valid_budget(value: object) -> float | None:
    """`budget_per_day`: a positive amount in the prices' currency, or None for no budget."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError("an amount greater than 0 in the prices' currency, such as 2.0")
    return float(value)


def valid_model_prices(value: object) -> Mapping[str, Price]:
    if not isinstance(value, Mapping) or not all(
        isinstance(model, str) and model.strip() and isinstance(price, Price) for model, price in value.items()
    ):
        raise ValueError("a mapping of model ids to Price")
    return MappingProxyType(dict(value))


def parse_model_prices(problems: Problems, table: Mapping[str, Any]) -> dict[str, Price]:
    """The prices of a `[models]` table; each problem is logged naming its key (the loader adds the file)."""
    prices: dict[str, Price] = {}
    for model, body in table.items():
        key = f'models."{model}"'
        if not model.strip():
            problems.lines.append('models: expected model ids such as [models."deepseek/deepseek-chat-v3"], got ""')
            continue
        if not isinstance(body, dict):
            problems.lines.append(f"{key}: expected a table such as {{ price_in = 0.27, price_out = 1.10 }}")
            continue
        values: dict[str, float] = {}
        for name, value in body.items():
            if name not in MODEL_KEYS:
                problems.lines.append(f"{key}.{name}: unknown key; expected one of {', '.join(MODEL_KEYS)}")
            elif isinstance(checked := problems.check(f"{key}.{name}", value, valid_price), float):
                values[name] = checked
        for name in MODEL_KEYS:
            if name not in body:
                half = "prompt (input)" if name == "price_in" else "completion (output)"
                problems.lines.append(f"{key}.{name}: missing; expected the price per million {half} tokens")
        if len(values) == len(MODEL_KEYS):
            prices[model] = Price(values["price_in"], values["price_out"], "config")
    return prices
