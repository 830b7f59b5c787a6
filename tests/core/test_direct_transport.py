"""DirectTransport's reading of a response body: what one socket read received goes up as one piece, and with
`read_interval` a flowing event stream is read at most that often (the TUI's pacing), while the first piece comes at
once and other bodies are not paced."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.fakes.replies import Part, Reply
from tests.fakes.server import FakeServer, stream_text
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.direct_transport import DirectTransport
from toki_tui.core.api.events import ContentDelta
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply import ReplyAccumulator

INTERVAL = 0.4
LATE = 0.1
"""The server sends the rest of the body this long after the first piece: well before the paced read."""


async def read_pieces(server: FakeServer, transport: DirectTransport) -> list[tuple[float, bytes]]:
    """Each body piece the transport hands up, with the monotonic time it came."""
    pieces: list[tuple[float, bytes]] = []
    url = server.base_url + "/chat/completions"
    async with httpx.AsyncClient(transport=transport) as client, client.stream("POST", url, json={}) as response:
        async for piece in response.aiter_raw():
            pieces.append((time.monotonic(), piece))
    return pieces


def chunked(*parts: Part, content_type: str = "text/event-stream") -> Reply:
    return Reply(content_type=content_type, parts=parts, framing="chunked")


async def test_a_paced_body_comes_in_one_piece_per_read_and_no_sooner_than_the_interval(
    fake_server: FakeServer,
) -> None:
    # Four chunk frames; the last three are written together, LATE after the first.
    fake_server.script(chunked(Part(b"first "), Part(b"second ", LATE), Part(b"third "), Part(b"fourth")))
    pieces = await read_pieces(fake_server, DirectTransport(read_interval=INTERVAL))
    assert [data for _, data in pieces] == [b"first ", b"second third fourth"]
    # The second read waited for the interval (what came meanwhile waited in the socket's buffer).
    assert pieces[1][0] - pieces[0][0] >= INTERVAL - 0.01


async def test_without_an_interval_each_piece_is_read_as_it_comes(fake_server: FakeServer) -> None:
    fake_server.script(chunked(Part(b"first "), Part(b"second", LATE)))
    started = time.monotonic()
    pieces = await read_pieces(fake_server, DirectTransport())
    assert [data for _, data in pieces] == [b"first ", b"second"]
    assert pieces[1][0] - started < INTERVAL  # not held back


async def test_a_body_that_is_not_an_event_stream_is_not_paced(fake_server: FakeServer) -> None:
    # A model list or a JSON reply: pausing the socket would cap a large body's throughput at its buffer per interval.
    fake_server.script(chunked(Part(b'{"data": '), Part(b"[]}", LATE), content_type="application/json"))
    started = time.monotonic()
    pieces = await read_pieces(fake_server, DirectTransport(read_interval=INTERVAL))
    assert [data for _, data in pieces] == [b'{"data": ', b"[]}"]
    assert pieces[1][0] - started < INTERVAL


async def test_a_client_with_a_read_interval_streams_a_reply_in_few_batches(fake_server: FakeServer) -> None:
    # Eight tokens over about LATE seconds: the first read takes what came at once, the paced one all the rest.
    tokens = ["one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight"]
    fake_server.script(stream_text(tokens, chunk_delay=LATE / len(tokens)))
    client = ChatClient(base_url=fake_server.base_url, api_key="k", read_interval=INTERVAL)
    reply = ReplyAccumulator()
    content_batches = 0
    try:
        async for batch in client.stream_chat_batches(
            model="m", messages=[ChatMessage("user", "hi")], params=ChatParams()
        ):
            content_batches += any(isinstance(event, ContentDelta) for event in batch)
            for event in batch:
                reply.feed(event)
    finally:
        await client.aclose()
    assert reply.content == "".join(tokens)
    assert reply.finish_reason == "stop"
    assert content_batches <= 2


async def test_a_response_closed_early_has_closed_its_socket_when_aclose_returns(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Esc, or the app quitting, closes a reply mid-stream; the event loop may end right after (a quit), so the
    # socket must be closed by then, not on a later turn of the loop (an unclosed socket otherwise).
    writers: list[asyncio.StreamWriter] = []
    open_connection = asyncio.open_connection

    async def recording(*args: Any, **kwargs: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await open_connection(*args, **kwargs)
        writers.append(writer)
        return reader, writer

    monkeypatch.setattr(asyncio, "open_connection", recording)
    fake_server.script(chunked(Part(b"first "), Part(b"second", LATE)))
    url = fake_server.base_url + "/chat/completions"
    async with httpx.AsyncClient(transport=DirectTransport()) as client:
        async with client.stream("POST", url, json={}) as response:
            async for _ in response.aiter_raw():
                break
        [writer] = writers
        assert writer.transport.get_extra_info("socket").fileno() == -1
