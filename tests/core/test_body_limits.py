"""Hostile servers against the client: compression bombs and oversized bodies stop at a named limit with a clear
error and bounded memory, on both transports (the `client` fixture runs each test on both)."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

import pytest

from tests.conftest import TEST_API_KEY
from tests.core.test_client import collect, collect_until_error
from tests.fakes.hostile import compression_bomb, gzipped
from tests.fakes.server import FakeServer, completion_reply, models_reply, stream_text
from toki_tui.core.api.client import ChatClient, DefaultTimeouts
from toki_tui.core.api.direct_transport import DirectTransport
from toki_tui.core.errors import APIError, APIStatusError, StreamError

T = TypeVar("T")
MB = 1024 * 1024


@pytest.fixture(params=["pooled", "direct"])
async def client(fake_server: FakeServer, request: pytest.FixtureRequest) -> AsyncIterator[ChatClient]:
    transport = DirectTransport() if request.param == "direct" else None
    chat = ChatClient(
        base_url=fake_server.base_url, api_key=TEST_API_KEY, timeouts=DefaultTimeouts(idle=5), transport=transport
    )
    yield chat
    await chat.aclose()


async def peak_memory(action: Callable[[], Awaitable[T]]) -> tuple[T | BaseException, int]:
    """What `action` returned or raised, and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        outcome: T | BaseException = await action()
    except Exception as error:
        outcome = error
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, peak


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "gzip, gzip"])
async def test_a_compressed_models_bomb_stops_at_the_limit_with_bounded_memory(
    client: ChatClient, fake_server: FakeServer, encoding: str
) -> None:
    fake_server.script_models(compression_bomb(64 * MB, encoding=encoding))  # type: ignore[arg-type]
    outcome, peak = await peak_memory(client.list_models)
    assert isinstance(outcome, APIError)
    assert "the server's /models response is larger than 16 MB" in str(outcome)
    assert peak < 24 * MB  # the 16 MB read so far, not the 64 MB the body inflates to


async def test_a_compressed_model_list_is_read(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script_models(gzipped(models_reply("openrouter")), gzipped(models_reply(), encoding="deflate"))
    assert len(await client.list_models()) > 2
    assert len(await client.list_models()) > 2


async def test_a_compressed_stream_is_read_across_small_reads(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(gzipped(stream_text("Grüße aus dem Stream, über viele kleine Stücke.")))
    reply, _ = await collect(client)
    assert reply.content == "Grüße aus dem Stream, über viele kleine Stücke."


async def test_a_compressed_error_body_bomb_costs_only_its_first_bytes(
    client: ChatClient, fake_server: FakeServer
) -> None:
    bomb = compression_bomb(64 * MB, prefix=b'{"error": {"message": "overloaded"}}')
    fake_server.script(replace(bomb, status=400))
    outcome, peak = await peak_memory(lambda: collect(client))
    assert isinstance(outcome, APIStatusError) and outcome.status == 400
    assert peak < 4 * MB


async def test_a_compressed_non_streamed_reply_bomb_stops_at_the_limit(
    client: ChatClient, fake_server: FakeServer
) -> None:
    fake_server.script(compression_bomb(40 * MB, prefix=b'{"choices": [{"message": {"content": "hi"'))
    _, error = await collect_until_error(client)
    assert isinstance(error, StreamError)
    assert "the server's reply is larger than 32 MB" in str(error)


async def test_a_compressed_single_event_bomb_stops_at_the_event_limit(
    client: ChatClient, fake_server: FakeServer
) -> None:
    fake_server.script(compression_bomb(40 * MB, prefix=b"data: ", content_type="text/event-stream"))
    outcome, peak = await peak_memory(lambda: collect_until_error(client))
    assert not isinstance(outcome, BaseException)
    _, error = outcome
    assert isinstance(error, StreamError) and "larger than the 16 MiB limit" in str(error)
    assert peak < 40 * MB


async def test_a_completion_that_fits_is_read(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(gzipped(completion_reply("Whole reply.")))
    reply, _ = await collect(client)
    assert reply.content == "Whole reply."
