"""JSON nested deeply enough to crash a recursive parser (or later code) is a protocol error, never a
RecursionError: in a stream chunk, a non-streamed reply, /models, an error body and the model cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_body_limits import client  # noqa: F401  (the fixture: both transports)
from tests.core.test_client import collect_until_error
from tests.fakes.hostile import deep_json_stream, deeply_nested
from tests.fakes.server import FakeServer, json_reply
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.json_limits import MAX_JSON_DEPTH, JSONTooDeepError, loads
from toki_tui.core.api.model_cache import load_cached_models, save_cached_models
from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.errors import APIError, APIStatusError, StreamError


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 900, 100_000])
def test_too_deep_json_is_a_value_error(depth: int) -> None:
    with pytest.raises(JSONTooDeepError, match=f"nested more than {MAX_JSON_DEPTH} levels"):
        loads(deeply_nested(depth))
    with pytest.raises(JSONTooDeepError):
        loads(b'{"a": ' * depth + b"1" + b"}" * depth)


def test_json_at_the_depth_limit_and_brackets_in_strings_are_fine() -> None:
    assert loads(deeply_nested(MAX_JSON_DEPTH)) is not None
    assert loads('{"text": "' + "[" * 10_000 + '"}') == {"text": "[" * 10_000}


@pytest.mark.parametrize("depth", [200, 100_000])
async def test_a_deep_stream_chunk_is_a_stream_error_after_the_text_before_it(
    client: ChatClient,  # noqa: F811
    fake_server: FakeServer,
    depth: int,
) -> None:
    fake_server.script(deep_json_stream(depth))
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError)
    assert "stream chunk that cannot be read: its JSON is nested more than 128 levels deep" in str(error)
    assert reply.content == "Before the bomb. "


async def test_a_deep_non_streamed_reply_is_a_stream_error(
    client: ChatClient,  # noqa: F811
    fake_server: FakeServer,
) -> None:
    fake_server.script(json_reply(b'{"choices": ' + deeply_nested(100_000) + b"}"))
    _, error = await collect_until_error(client)
    assert isinstance(error, StreamError) and "reply that cannot be read" in str(error)


async def test_a_deep_model_list_is_an_api_error(client: ChatClient, fake_server: FakeServer) -> None:  # noqa: F811
    fake_server.script_models(json_reply(b'{"data": ' + deeply_nested(100_000) + b"}"))
    with pytest.raises(APIError, match=r"model list .* cannot be read: its JSON is nested more than 128"):
        await client.list_models()


async def test_a_deep_error_body_still_gives_the_status(client: ChatClient, fake_server: FakeServer) -> None:  # noqa: F811
    fake_server.script(json_reply(deeply_nested(100_000), status=400))
    _, error = await collect_until_error(client)
    assert isinstance(error, APIStatusError) and error.status == 400


def test_a_deep_model_cache_is_ignored(tmp_path: Path) -> None:
    save_cached_models(tmp_path, "toki", [ModelInfo(id="m")])
    [cache_file] = tmp_path.glob("models-*.json")
    assert load_cached_models(tmp_path, "toki") == [ModelInfo(id="m")]
    cache_file.write_bytes(b'{"models": ' + deeply_nested(100_000) + b"}")
    assert load_cached_models(tmp_path, "toki") == []
