"""Lenient /models parsing (docs/protocol.md §4, §6.25)."""

from __future__ import annotations

import io

import pytest

from toki_tui.core.api.model_info import ModelInfo, parse_models, price_per_million
from toki_tui.core.errors import APIError


def test_openai_shape() -> None:
    body = {"object": "list", "data": [{"id": "b", "object": "model", "owned_by": "x"}, {"id": "a", "object": "model"}]}
    assert [m.id for m in parse_models(body)] == ["a", "b"]


def test_openrouter_shape_with_context_and_prices() -> None:
    body = {
        "data": [
            {
                "id": "deepseek/deepseek-chat-v3",
                "name": "DeepSeek V3",
                "context_length": 163840,
                "pricing": {"prompt": "0.0000003", "completion": "0.00000088"},
            },
            {
                "id": "openrouter/auto",
                "pricing": {"prompt": "-1", "completion": "-1"},
                "top_provider": {"context_length": 2000000},
            },
        ]
    }
    deepseek, auto = parse_models(body)
    assert deepseek.context_length == 163840
    assert deepseek.prompt_price_per_million == pytest.approx(0.3)
    assert deepseek.completion_price_per_million == pytest.approx(0.88)
    assert auto.prompt_price_per_million is None  # the "-1" dynamic-price sentinel is unknown, never a number
    assert auto.context_length == 2000000


def test_bare_list_and_strings() -> None:
    assert [m.id for m in parse_models([{"id": "x"}, "y", 3, {"no": "id"}])] == ["x", "y"]


def test_blank_ids_and_absurd_context_lengths_from_a_hostile_server_are_left_out() -> None:
    models = parse_models([{"id": "   "}, {"id": "\t\n"}, {"id": "big", "context_length": 10**30}, "  "])
    assert [(m.id, m.context_length) for m in models] == [("big", None)]  # a 10^30-token context is unknown
    assert parse_models([{"id": "m", "context_length": 10_000_000}])[0].context_length == 10_000_000
    assert parse_models([{"id": "m", "context_length": "²"}])[0].context_length is None  # int("²") raises


def test_missing_data_is_a_clear_error() -> None:
    with pytest.raises(APIError, match="no 'data'"):
        parse_models({"object": "list"})


@pytest.mark.parametrize("value", ["-1", -1, "abc", None, True, "nan", "inf"])
def test_unknown_prices(value: object) -> None:
    assert price_per_million(value) is None


def test_record_round_trip() -> None:
    model = ModelInfo("a/b", context_length=10, prompt_price_per_million=1.5)
    assert ModelInfo.from_record(model.to_record()) == model


def test_prices_per_million_are_rounded_to_what_the_server_meant() -> None:
    assert price_per_million("0.00000005") == 0.05
    assert price_per_million(0.0000003) == 0.3


def test_context_lengths_are_written_in_one_form_and_aligned() -> None:
    from toki_tui.cli.models import format_context, print_models_table

    assert [format_context(v) for v in (None, 163_840, 128_000, 2_000_000)] == ["-", "163,840", "128,000", "2,000,000"]
    out = io.StringIO()
    models = [ModelInfo(id=name, context_length=length) for name, length in [("a", 163_840), ("b", 2_000_000)]]
    print_models_table(models, out)
    lines = out.getvalue().splitlines()
    assert lines == ["MODEL    CONTEXT", "a        163,840", "b      2,000,000"]


def test_context_length_under_the_names_local_servers_and_groq_use() -> None:
    models = parse_models(
        {
            "object": "list",
            "data": [
                {"id": "vllm", "object": "model", "owned_by": "vllm", "root": "x", "max_model_len": 32768},
                {"id": "groq", "context_window": 131072, "active": True, "max_completion_tokens": 32768},
                {"id": "lmstudio", "max_context_length": 8192},
                {"id": "ollama", "object": "model", "owned_by": "library"},
            ],
        }
    )
    assert {model.id: model.context_length for model in models} == {
        "groq": 131072,
        "lmstudio": 8192,
        "ollama": None,
        "vllm": 32768,
    }


def test_an_error_in_place_of_the_model_list_is_shown() -> None:
    # LM Studio answers GET /models on a base URL without /v1 with 200 and an error object.
    with pytest.raises(APIError) as caught:
        parse_models({"error": "Unexpected endpoint or method. (GET /models)"})
    assert str(caught.value) == (
        "the server answered the model list with an error: Unexpected endpoint or method. (GET /models)"
    )
    with pytest.raises(APIError, match="with an error: quota exceeded"):
        parse_models({"error": {"message": "quota exceeded", "code": 429}})
