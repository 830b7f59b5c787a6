"""Prices: the shapes servers send in /models, config prices, the price in force, and a reply's estimated cost."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from toki_tui.core.api.model_info import ModelInfo, parse_models
from toki_tui.core.config.config_file import config_from_toml
from toki_tui.core.errors import ConfigError
from toki_tui.core.pricing import (
    Price,
    PriceBook,
    checked_per_million,
    format_cost,
    format_total,
    per_million_from_per_token,
    reply_cost,
)

CONFIG = Path("/home/me/.config/toki/config.toml")


def _price_of(entry: dict[str, object]) -> Price | None:
    (model,) = parse_models({"data": [{"id": "m", **entry}]})
    return model.price


def test_each_price_shape_servers_send_is_read_as_per_million() -> None:
    openrouter = _price_of({"pricing": {"prompt": "0.00000027", "completion": "0.0000011"}})
    assert openrouter == Price(0.27, 1.1, "server")
    assert _price_of({"pricing": {"prompt": 0.0000003, "completion": 0}}) == Price(0.3, 0.0, "server")
    assert _price_of({"pricing": {"input": 0.27, "output": "1.10"}}) == Price(0.27, 1.1, "server")
    assert _price_of({"input_price_per_million": 2.5, "output_price_per_million": 10}) == Price(2.5, 10.0, "server")
    nested = {"pricing": {"prompt_price_per_million": 1, "completion_price_per_million": 2}}
    assert _price_of(nested) == Price(1.0, 2.0, "server")
    assert _price_of({}) is None
    assert _price_of({"pricing": "free"}) is None


@pytest.mark.parametrize(
    "prompt",
    ["-1", -1, "abc", None, True, "nan", "inf", float("nan"), "1e400", [], {}, "0.5", 1.0, "x" * 1000],
)
def test_garbage_prices_are_unknown_never_a_number(prompt: object) -> None:
    """Negative ("-1": dynamic pricing), not a number, infinite, or absurd (0.5 a token is $500,000 a million:
    a unit mix-up) all mean unknown; a model with half its price unknown has no price."""
    assert per_million_from_per_token(prompt) is None
    assert _price_of({"pricing": {"prompt": prompt, "completion": "0.000001"}}) is None


def test_zero_is_a_real_price_and_per_million_values_are_bounded() -> None:
    assert per_million_from_per_token("0") == 0.0
    assert per_million_from_per_token("0.00000005") == 0.05  # not 0.049999999999999996
    assert checked_per_million("10000") == 10_000.0
    assert checked_per_million(10_000.5) is None
    assert checked_per_million(-0.01) is None


def test_a_price_from_an_edited_cache_is_checked_again() -> None:
    assert ModelInfo("m", prompt_price_per_million="nan", completion_price_per_million=1.0).price is None  # type: ignore[arg-type]
    assert ModelInfo("m", prompt_price_per_million=1e9, completion_price_per_million=1.0).price is None
    with pytest.raises(ValueError, match="input_per_million"):
        Price(-1.0, 1.0, "config")
    with pytest.raises(ValueError, match="output_per_million"):
        Price(1.0, "2", "config")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source"):
        Price(1.0, 2.0, "guess")  # type: ignore[arg-type]


def test_reply_cost_needs_both_a_price_and_both_token_counts() -> None:
    price = Price(0.27, 1.1, "server")
    assert reply_cost({"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}, price) == pytest.approx(
        0.00082
    )
    assert reply_cost({"prompt_tokens": 0, "completion_tokens": 0}, price) == 0.0
    assert reply_cost({"prompt_tokens": 10, "completion_tokens": 5}, Price(0, 0, "server")) == 0.0
    assert reply_cost({"prompt_tokens": 10, "completion_tokens": 5}, None) is None
    assert reply_cost(None, price) is None
    assert reply_cost({"total_tokens": 15}, price) is None
    assert reply_cost({"prompt_tokens": 10, "completion_tokens": -5}, price) is None
    assert reply_cost({"prompt_tokens": True, "completion_tokens": 5}, price) is None
    assert reply_cost({"prompt_tokens": "10", "completion_tokens": 5}, price) is None


def test_costs_read_as_estimates_and_totals_say_what_is_unpriced() -> None:
    assert [format_cost(c) for c in (0, 1e-9, 0.0000034, 0.0012, 0.1, 0.999, 1234.5)] == [
        "≈$0",
        "<$0.000001",
        "≈$0.0000034",
        "≈$0.0012",
        "≈$0.10",
        "≈$1.00",
        "≈$1,234.50",
    ]
    assert format_total(0.04, 0) == "≈$0.04"
    assert format_total(0.04, 2) == "≈$0.04 + unpriced"
    assert format_total(None, 3) == "unpriced"
    assert format_total(None, 0) == ""


def test_the_config_price_wins_over_the_server_list() -> None:
    listed = parse_models(
        {
            "data": [
                {"id": "a", "pricing": {"prompt": "0.000001", "completion": "0.000002"}},
                {"id": "b", "pricing": {"prompt": "0.000001", "completion": "0.000002"}},
                {"id": "router", "pricing": {"prompt": "-1", "completion": "-1"}},
            ]
        }
    )
    book = PriceBook({"a": Price(0.5, 0.5, "config")}, listed)
    assert book.price_for("a") == Price(0.5, 0.5, "config")
    assert book.price_for("b") == Price(1.0, 2.0, "server")
    assert book.price_for("router") is None
    assert book.price_for("unlisted") is None
    book.update_listed([])
    assert book.price_for("b") is None
    assert book.price_for("a") == Price(0.5, 0.5, "config")


def _config(text: str) -> object:
    return config_from_toml(tomllib.loads(text), CONFIG)


def test_config_prices_and_budget_are_read() -> None:
    config = config_from_toml(
        tomllib.loads('budget_per_day = 2\n[models."deepseek/deepseek-chat-v3"]\nprice_in = 0.27\nprice_out = 1.10\n'),
        CONFIG,
    )
    assert config.model_prices == {"deepseek/deepseek-chat-v3": Price(0.27, 1.1, "config")}
    assert config.budget_per_day == 2.0
    assert config_from_toml({}, CONFIG).budget_per_day is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("budget_per_day = -1", "budget_per_day: expected an amount greater than 0"),
        ("budget_per_day = nan", "budget_per_day: expected an amount"),
        ('budget_per_day = "2"', "budget_per_day: expected an amount"),
        ('[models."a"]\nprice_in = "0.2"\nprice_out = 1', 'models."a".price_in: expected a price per million'),
        ('[models."a"]\nprice_in = -1\nprice_out = 1', 'models."a".price_in: expected a price per million'),
        ('[models."a"]\nprice_in = 0.2\nprice_out = inf', 'models."a".price_out: expected a price per million'),
        ('[models."a"]\nprice_in = 0.2', 'models."a".price_out: missing'),
        ('[models."a"]\nprice_in = 1\nprice_out = 1\nprice_cache = 1', 'models."a".price_cache: unknown key'),
        ("models = 3", "models: expected a table"),
        ("[models]\na = 3", 'models."a": expected a table'),
    ],
)
def test_a_bad_price_or_budget_is_one_message_naming_file_and_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _config(text)
    assert str(raised.value).startswith(f"{CONFIG}: ")
    assert message in str(raised.value)
