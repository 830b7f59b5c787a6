"""ChatClient against the loopback fake server: what goes on the wire, and every fault of docs/protocol.md §6 that
reaches the client (framing details are covered byte by byte in test_sse.py)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest

from tests.conftest import TEST_API_KEY
from tests.fakes.hostile import gzipped
from tests.fakes.server import (
    FakeServer,
    Reply,
    await_event,
    completion_reply,
    drop_connection,
    error_reply,
    hang,
    html_error_page,
    json_reply,
    keepalive_forever,
    models_reply,
    openai_error_reply,
    rate_limit_reply,
    raw_stream,
    stream_error,
    stream_text,
    stream_tool_calls,
)
from toki_tui.core.api import reply_reader
from toki_tui.core.api.client import ChatClient, DefaultTimeouts
from toki_tui.core.api.direct_transport import DirectTransport, proxy_configured
from toki_tui.core.api.events import ContentDelta, Finished, ReasoningDelta, RetryScheduled, StreamEvent, Usage
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply import ReplyAccumulator
from toki_tui.core.errors import APIConnectionError, APIError, APIStatusError, APITimeoutError, StreamError

HELLO = [ChatMessage("user", "hello")]


@pytest.fixture(params=["pooled", "direct"])
async def client(fake_server: FakeServer, request: pytest.FixtureRequest) -> AsyncIterator[ChatClient]:
    """Every client test runs on httpx's pooled transport (used when a proxy is configured) and on DirectTransport
    (`toki ask`, the TUI), so both meet every fault the same way."""
    transport = DirectTransport() if request.param == "direct" else None
    chat = ChatClient(
        base_url=fake_server.base_url, api_key=TEST_API_KEY, timeouts=DefaultTimeouts(idle=5), transport=transport
    )
    yield chat
    await chat.aclose()


async def collect(client: ChatClient, params: ChatParams | None = None) -> tuple[ReplyAccumulator, list[StreamEvent]]:
    reply = ReplyAccumulator()
    events: list[StreamEvent] = []
    async for event in client.stream_chat(model="m", messages=HELLO, params=params or ChatParams()):
        reply.feed(event)
        events.append(event)
    return reply, events


async def collect_until_error(client: ChatClient) -> tuple[ReplyAccumulator, Exception]:
    reply = ReplyAccumulator()
    with pytest.raises(Exception) as caught:
        async for event in client.stream_chat(model="m", messages=HELLO, params=ChatParams()):
            reply.feed(event)
    return reply, caught.value  # type: ignore[return-value]


async def test_request_carries_every_parameter_and_the_key(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("Hi there"))
    params = ChatParams.create(
        temperature=0.3,
        top_p=0.9,
        max_tokens=50,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        json_mode=True,
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        tool_choice="auto",
    )
    reply, _ = await collect(client, params)
    assert reply.content == "Hi there"
    [request] = fake_server.chat_requests()
    body = request.json()
    assert request.path == "/v1/chat/completions"
    assert request.bearer_token == TEST_API_KEY
    assert body["model"] == "m"
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.3 and body["top_p"] == 0.9 and body["max_tokens"] == 50
    assert body["frequency_penalty"] == 0.5 and body["presence_penalty"] == -0.5
    assert body["response_format"] == {"type": "json_object"}
    assert body["tools"][0]["function"]["name"] == "f" and body["tool_choice"] == "auto"


@pytest.mark.parametrize("suffix", ["", "/"])
async def test_base_url_with_or_without_trailing_slash(fake_server: FakeServer, suffix: str) -> None:
    chat = ChatClient(base_url=fake_server.base_url + suffix, api_key="k")
    try:
        await collect(chat)
    finally:
        await chat.aclose()
    assert fake_server.chat_requests()[0].path == "/v1/chat/completions"


async def test_a_base_url_without_v1_gets_a_404_that_suggests_adding_it(fake_server: FakeServer) -> None:
    # `http://localhost:8000` for a vLLM or llama.cpp server, whose API is under /v1 (docs/protocol.md §6.28).
    chat = ChatClient(base_url=fake_server.root_url + "/", api_key="k")
    try:
        _, error = await collect_until_error(chat)
        with pytest.raises(APIStatusError) as caught:
            await chat.list_models()
    finally:
        await chat.aclose()
    for failure in (error, caught.value):
        assert isinstance(failure, APIStatusError) and failure.status == 404
        assert f"try the base URL {fake_server.root_url}/v1" in str(failure)


async def test_a_404_under_a_versioned_base_url_keeps_the_usual_advice(
    client: ChatClient, fake_server: FakeServer
) -> None:
    fake_server.script(openai_error_reply(404, "The model `m` does not exist", code="model_not_found"))
    _, error = await collect_until_error(client)
    assert "check the base URL and the model id" in str(error) and "/v1" not in str(error)


@pytest.mark.parametrize("status", [301, 307, 308])
async def test_a_redirect_names_the_base_url_to_use_and_is_not_followed(
    client: ChatClient, fake_server: FakeServer, status: int
) -> None:
    fake_server.script(
        error_reply(status, "", headers=[("Location", "https://api.example.com/openai/v1/chat/completions")])
    )
    fake_server.script_models(error_reply(status, "", headers=[("Location", "/elsewhere/v1/models")]))
    _, error = await collect_until_error(client)
    with pytest.raises(APIStatusError) as caught:
        await client.list_models()
    assert isinstance(error, APIStatusError) and error.status == status
    assert str(error) == (
        f"HTTP {status}: the server redirected to https://api.example.com/openai/v1/chat/completions; "
        "set the base URL to https://api.example.com/openai/v1 (toki does not follow redirects)"
    )
    # A relative Location is resolved against the request's URL.
    assert f"set the base URL to {fake_server.root_url}/elsewhere/v1 " in str(caught.value)
    assert len(fake_server.chat_requests()) == 1


async def test_usage_and_finish_reason(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("a b c", usage_in_chunks="cumulative"))
    reply, events = await collect(client)
    assert reply.finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens is not None
    assert isinstance([e for e in events if isinstance(e, Usage)][-1], Usage)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "reasoning_details", "think_tags"])
async def test_reasoning_in_every_form(client: ChatClient, fake_server: FakeServer, field: str) -> None:
    fake_server.script(stream_text("The answer.", reasoning="Let me think.", reasoning_field=field))  # type: ignore[arg-type]
    reply, _ = await collect(client)
    assert reply.reasoning.strip() == "Let me think."
    assert reply.content.strip() == "The answer."


async def test_refusal(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("", refusal="I can't help with that."))
    reply, _ = await collect(client)
    assert reply.refusal == "I can't help with that."


async def test_n_greater_than_one(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text(n=2, choice_texts=["first choice", "second choice"]))
    reply, _ = await collect(client)
    assert reply.content == "first choice"
    assert reply.choices[1].content_parts.text() == "second choice"


@pytest.mark.parametrize("index_mode", ["normal", "missing", "null", "reused_zero"])
async def test_tool_calls_in_every_index_mode(client: ChatClient, fake_server: FakeServer, index_mode: str) -> None:
    calls = [
        {"id": "call_a", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"id": "call_b", "name": "get_time", "arguments": '{"tz": "CET"}'},
    ]
    fake_server.script(stream_tool_calls(calls, index_mode=index_mode))  # type: ignore[arg-type]
    reply, _ = await collect(client)
    got = [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in reply.tool_calls]
    assert got == [("call_a", "get_weather", '{"city": "Paris"}'), ("call_b", "get_time", '{"tz": "CET"}')]
    assert reply.finish_reason == "tool_calls"


async def test_azure_prefilter_chunk_and_comments(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(
        stream_text("ok then", azure_prefilter=True, keepalive_comments=3, comment="OPENROUTER PROCESSING")
    )
    reply, _ = await collect(client)
    assert reply.content == "ok then"


async def test_clean_eof_after_finish_without_done(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("complete", done=False))
    reply, _ = await collect(client)
    assert reply.content == "complete" and reply.finish_reason == "stop"


async def test_eof_before_finish_is_an_interruption_and_keeps_text(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("cut short", finish_reason=None, usage=False, done=False))
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError)
    assert "ended before the reply was complete" in str(error)
    assert reply.content == "cut short"


async def test_connection_dropped_mid_stream_keeps_text(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("half of it", finish_reason=None, usage=False, done=False, close_abruptly=True))
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError)
    assert "dropped" in str(error) or "ended" in str(error)
    assert reply.content == "half of it"


async def test_text_after_done_is_ignored(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(
        raw_stream(
            [
                b'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n',
                b"data: [DONE]\n\n",
                b"garbage\n\ndata: {bad\n\n",
            ]
        )
    )
    reply, _ = await collect(client)
    assert reply.content == "x"


async def test_data_that_is_not_json_is_a_stream_error_showing_it(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(
        raw_stream(
            [b'data: {"choices":[{"index":0,"delta":{"content":"so far"}}]}\n\n', b"data: upstream exploded\n\n"]
        )
    )
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError) and "upstream exploded" in str(error)
    assert "partial reply is kept" in str(error) and "Retry" in str(error)  # what happened to it, what to do
    assert reply.content == "so far"


@pytest.mark.parametrize("form", ["openai", "openrouter", "vllm", "event", "event_text"])
async def test_mid_stream_errors_in_every_form(client: ChatClient, fake_server: FakeServer, form: str) -> None:
    fake_server.script(stream_error(form, before="Partial answer", message="Provider disconnected"))  # type: ignore[arg-type]
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError)
    assert "Provider disconnected" in str(error)
    assert reply.content == "Partial answer"


async def test_llama_cpp_error_field_then_done_is_an_error_not_a_complete_reply(
    client: ChatClient, fake_server: FakeServer
) -> None:
    # llama.cpp's server reports a failure in a stream as an `error:` field, then still sends [DONE].
    fake_server.script(
        raw_stream(
            [
                b'data: {"choices":[{"index":0,"delta":{"content":"so far"}}]}\n\n',
                b'error: {"code":500,"message":"Failed to decode the batch: KV cache is full","type":"server_error"}'
                b"\n\n",
                b"data: [DONE]\n\n",
            ]
        )
    )
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError) and error.code == "500"
    assert str(error) == "the server reported an error mid-stream: Failed to decode the batch: KV cache is full"
    assert reply.content == "so far"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            json_reply(
                "<!doctype html><html><head><title>Open WebUI</title></head><body></body></html>",
                content_type="text/html",
            ),
            "the server answered with neither JSON nor an event stream (an HTML page: Open WebUI); "
            "is the base URL the API's (usually ending in /v1)?",
        ),
        (
            json_reply("Ollama is running", content_type="text/plain"),
            "the server answered with neither JSON nor an event stream (Ollama is running); "
            "is the base URL the API's (usually ending in /v1)?",
        ),
        (
            json_reply("\x1b\x05\x00\xf8", headers=[("Content-Encoding", "br")]),
            "the server compressed its reply as br, which toki did not ask for and cannot read "
            "(it asks for gzip or deflate only)",
        ),
    ],
    ids=["web page", "plain text", "brotli"],
)
async def test_a_200_that_is_neither_json_nor_sse_says_what_it_is(
    client: ChatClient, fake_server: FakeServer, reply, expected: str
) -> None:  # type: ignore[no-untyped-def]
    fake_server.script(reply)
    _, error = await collect_until_error(client)
    assert isinstance(error, StreamError) and str(error) == expected


def _chunked_by_hand(body: bytes) -> Reply:
    """`body` in chunks with extensions and a trailer, written as is on a connection closed after it."""
    frames = [b'%x;name="val"\r\n%s\r\n' % (len(body[i : i + 40]), body[i : i + 40]) for i in range(0, len(body), 40)]
    return raw_stream(
        [*frames, b"0\r\nX-Checksum: abc\r\n\r\n"], framing="close", headers=[("Transfer-Encoding", "chunked")]
    )


@pytest.mark.parametrize(
    "framing",
    ["close-delimited SSE", "close-delimited JSON", "gzip close-delimited SSE", "chunk extensions and trailer"],
)
async def test_bodies_in_every_framing_real_servers_use(
    client: ChatClient, fake_server: FakeServer, framing: str
) -> None:
    # HTTP/1.0-style servers end the body by closing; some chunked servers send extensions and trailers.
    stream = stream_text("Framed just so.")
    reply = {
        "close-delimited SSE": dataclasses.replace(stream, framing="close"),
        "close-delimited JSON": dataclasses.replace(completion_reply("Framed just so."), framing="close"),
        "gzip close-delimited SSE": dataclasses.replace(gzipped(stream), framing="close"),
        "chunk extensions and trailer": _chunked_by_hand(stream.body),
    }[framing]
    fake_server.script(reply)
    result, _ = await collect(client)
    assert result.content == "Framed just so." and result.finish_reason == "stop"


@pytest.mark.parametrize("blank", [b"", b"\n\n  \r\n"], ids=["empty", "blank lines only"])
async def test_a_200_with_an_empty_body_says_so(client: ChatClient, fake_server: FakeServer, blank: bytes) -> None:
    fake_server.script(json_reply(blank))
    _, error = await collect_until_error(client)
    assert isinstance(error, StreamError) and str(error) == "the server answered with an empty body instead of a reply"


async def test_a_json_reply_behind_a_utf8_bom_is_read(client: ChatClient, fake_server: FakeServer) -> None:
    body = b'\xef\xbb\xbf{"choices":[{"index":0,"message":{"content":"ok"},"finish_reason":"stop"}]}'
    fake_server.script(json_reply(body))
    reply, _ = await collect(client)
    assert reply.content == "ok"


async def test_a_body_that_is_neither_and_then_goes_quiet_is_described_not_timed_out(fake_server: FakeServer) -> None:
    quiet = raw_stream([b"streaming raw text, not events"], content_type="text/plain")
    fake_server.script(dataclasses.replace(quiet, ending="hang", hang_seconds=30))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=0.3))
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, StreamError) and "neither JSON nor an event stream (streaming raw text" in str(error)


async def test_an_event_stream_whose_first_reads_are_a_few_bytes_is_still_read(
    client: ChatClient, fake_server: FakeServer
) -> None:
    body = b'\xef\xbb\xbfdata: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n'
    fake_server.script(raw_stream([body[:1], body[1:4], body[4:6], body[6:]], delays=0.05))
    reply, _ = await collect(client)
    assert reply.content == "ok" and reply.finish_reason == "stop"


async def test_json_reply_although_stream_was_requested(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(
        json_reply(
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": "whole"}, "finish_reason": "stop"}]}
        )
    )
    reply, _ = await collect(client)
    assert reply.content == "whole" and reply.finish_reason == "stop"


async def test_json_error_body_with_status_200(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(json_reply({"error": {"message": "service busy, try later"}}))
    _, error = await collect_until_error(client)
    assert isinstance(error, StreamError) and "service busy" in str(error)


async def test_non_stream_request_with_leading_blank_lines(client: ChatClient, fake_server: FakeServer) -> None:
    body = {
        "choices": [{"index": 0, "message": {"content": "done"}, "finish_reason": "stop"}],
        "usage": {"total_tokens": 3},
    }
    fake_server.script(json_reply(body, leading_whitespace="\n\n\n", leading_delay=0.05))
    reply, _ = await collect(client, ChatParams(stream=False))
    assert reply.content == "done"
    body_sent = fake_server.chat_requests()[0].json()
    assert body_sent["stream"] is False and "stream_options" not in body_sent


async def test_non_stream_request_answered_with_sse(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("streamed anyway"))
    reply, _ = await collect(client, ChatParams(stream=False))
    assert reply.content == "streamed anyway"


@pytest.mark.parametrize(
    ("reply", "status", "expected"),
    [
        (openai_error_reply(401, "Invalid API key"), 401, "TOKI_API_KEY"),
        (openai_error_reply(403, "Key disabled"), 403, "Key disabled"),
        (error_reply(402, {"error": {"code": 402, "message": "Insufficient credits"}}), 402, "balance or quota"),
        (error_reply(400, {"error": "bad model"}), 400, "bad model"),
        (error_reply(404, {"message": "no such route"}), 404, "no such route"),
    ],
)
async def test_errors_that_are_not_retried(
    client: ChatClient, fake_server: FakeServer, reply, status: int, expected: str
) -> None:  # type: ignore[no-untyped-def]
    fake_server.script(reply)
    _, error = await collect_until_error(client)
    assert isinstance(error, APIStatusError) and error.status == status
    assert expected in str(error)
    assert TEST_API_KEY not in str(error)
    assert len(fake_server.chat_requests()) == 1


async def test_a_401_when_no_key_was_sent_says_so_rather_than_blaming_the_key(fake_server: FakeServer) -> None:
    # `--base-url` to a local server started with --api-key: toki's key goes only to its own endpoint's host, so
    # nothing was sent, and "check TOKI_API_KEY" would send the user checking a key that is set.
    fake_server.expected_api_key = "sekrit"
    keyless = ChatClient(base_url=fake_server.base_url, api_key=None)
    keyed = ChatClient(base_url=fake_server.base_url, api_key="wrong")
    sourced = ChatClient(base_url=fake_server.base_url, api_key="wrong", key_source="WORK_KEY")
    try:
        _, without_key = await collect_until_error(keyless)
        with pytest.raises(APIStatusError) as models_error:
            await keyless.list_models()
        _, wrong_key = await collect_until_error(keyed)
        _, wrong_sourced_key = await collect_until_error(sourced)
    finally:
        await keyless.aclose()
        await keyed.aclose()
        await sourced.aclose()
    for error in (without_key, models_error.value):
        assert isinstance(error, APIStatusError) and error.status == 401
        assert str(error).startswith("HTTP 401: the server wants an API key, and none was sent to 127.0.0.1 ")
        assert "api_key_env" in str(error)
    assert "the API key is missing, wrong, disabled or expired" in str(wrong_key)
    assert "the API key from WORK_KEY is wrong" in str(wrong_sourced_key)  # says which key to fix


async def test_a_server_refusing_stream_options_is_asked_again_without_them(
    client: ChatClient, fake_server: FakeServer
) -> None:
    # Azure's older API versions and vLLM before stream_options refuse the whole request over the field.
    fake_server.script(
        openai_error_reply(400, "Unrecognized request argument supplied: stream_options"),
        stream_text("first"),
        stream_text("second"),
    )
    first, events = await collect(client)
    second, _ = await collect(client)
    assert (first.content, second.content) == ("first", "second")
    assert not any(isinstance(event, RetryScheduled) for event in events)
    sent = [request.json() for request in fake_server.chat_requests()]
    assert [("stream_options" in body) for body in sent] == [True, False, False]
    assert all(body["stream"] is True for body in sent)


async def test_html_502_is_retried_then_reported_readably(client: ChatClient, fake_server: FakeServer) -> None:
    page = error_reply(502, html_error_page(502, "Bad Gateway"))
    fake_server.script(page, page, page)
    events: list[StreamEvent] = []
    with pytest.raises(APIStatusError) as caught:
        async for event in client.stream_chat(model="m", messages=HELLO, params=ChatParams()):
            events.append(event)
    assert "502 Bad Gateway" in str(caught.value) and "<html" not in str(caught.value)
    assert [e.attempt for e in events if isinstance(e, RetryScheduled)] == [1, 2]
    assert len(fake_server.chat_requests()) == 3


async def test_429_with_retry_after_then_success(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(rate_limit_reply(retry_after="0.2"), stream_text("finally"))
    started = asyncio.get_running_loop().time()
    reply, events = await collect(client)
    waited = asyncio.get_running_loop().time() - started
    assert reply.content == "finally"
    [retry] = [e for e in events if isinstance(e, RetryScheduled)]
    assert retry.delay == pytest.approx(0.2)
    assert waited >= 0.2


async def test_retry_after_ms(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(rate_limit_reply(retry_after_ms=150), stream_text("ok"))
    _, events = await collect(client)
    assert [e.delay for e in events if isinstance(e, RetryScheduled)] == [pytest.approx(0.15)]


async def test_retry_after_too_long_is_reported_not_waited(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(rate_limit_reply(retry_after=600))
    _, error = await collect_until_error(client)
    assert isinstance(error, APIStatusError) and error.retry_after == 600
    assert len(fake_server.chat_requests()) == 1


async def test_connection_refused_before_any_content_is_retried_then_reported(fake_server: FakeServer) -> None:
    fake_server.script(drop_connection(0), drop_connection(0), drop_connection(0))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k")
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APIConnectionError)
    assert str(error).startswith("127.0.0.1 closed the connection without answering; check that the server")
    assert len(fake_server.chat_requests()) == 3


async def test_unreachable_host_is_a_connection_error() -> None:
    chat = ChatClient(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APIConnectionError) and "127.0.0.1" in str(error)


async def test_keepalive_comments_do_not_reset_the_idle_timer(fake_server: FakeServer) -> None:
    fake_server.script(keepalive_forever(interval=0.05, limit=10))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=0.5))
    started = asyncio.get_running_loop().time()
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APITimeoutError) and "no content for 0.5 s" in str(error)
    assert asyncio.get_running_loop().time() - started < 5


async def test_silent_server_times_out(fake_server: FakeServer) -> None:
    fake_server.script(hang(10, headers_first=True))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=0.3))
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APITimeoutError)


@pytest.mark.parametrize("transport", ["pooled", "direct"])
async def test_a_server_slow_to_answer_is_not_reported_as_unreachable(fake_server: FakeServer, transport: str) -> None:
    # No response head within the idle limit (a queue, a model loading): connecting worked, so saying
    # "timed out connecting" would send the user hunting for a network fault.
    fake_server.script(hang(10))
    chat = ChatClient(
        base_url=fake_server.base_url,
        api_key="k",
        timeouts=DefaultTimeouts(idle=0.3),
        max_retries=0,
        transport=DirectTransport() if transport == "direct" else None,
    )
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APITimeoutError)
    assert str(error) == (
        "127.0.0.1 took the request but sent no answer for 0.3 s; the server may be busy or still loading the model "
        "(raise [timeouts] idle in the config for slow servers)"
    )


async def test_a_finished_reply_whose_body_never_ends_is_complete_after_a_grace(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A gateway that keeps the response open after the last chunk (no [DONE], no end of body): the reply has its
    # finish reason, so the idle limit must not turn it into a failure.
    monkeypatch.setattr(reply_reader, "AFTER_FINISH_GRACE", 0.2)
    fake_server.script(dataclasses.replace(stream_text("All done.", done=False), ending="hang", hang_seconds=30))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=20))
    started = asyncio.get_running_loop().time()
    try:
        reply, _ = await collect(chat)
    finally:
        await chat.aclose()
    assert reply.content == "All done." and reply.finish_reason == "stop" and reply.usage is not None
    assert asyncio.get_running_loop().time() - started < 10


async def test_a_finish_reason_on_every_chunk_does_not_cut_a_pausing_reply_short(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Gemini through one-api / new-api relays and Open WebUI put finish_reason "stop" on every chunk: a pause
    # longer than the grace after such a chunk is not the end of the reply.
    monkeypatch.setattr(reply_reader, "AFTER_FINISH_GRACE", 0.1)
    events = [
        b'data: {"choices":[{"index":0,"delta":{"content":"' + word + b'"},"finish_reason":"stop"}]}\n\n'
        for word in (b"One", b" two", b" three")
    ]
    fake_server.script(raw_stream([*events, b"data: [DONE]\n\n"], delays=[0, 0.5, 0, 0]))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=20))
    try:
        reply, _ = await collect(chat)
    finally:
        await chat.aclose()
    assert reply.content == "One two three"


async def test_an_unfinished_reply_whose_body_goes_silent_still_times_out(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reply_reader, "AFTER_FINISH_GRACE", 0.1)
    fake_server.script(
        dataclasses.replace(
            stream_text("Half", finish_reason=None, usage=False, done=False), ending="hang", hang_seconds=30
        )
    )
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=0.4))
    try:
        reply, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APITimeoutError) and reply.content == "Half"


async def test_slow_but_steady_stream_is_not_timed_out(fake_server: FakeServer) -> None:
    fake_server.script(stream_text(["a", "b", "c", "d", "e"], chunk_delay=0.15))
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", timeouts=DefaultTimeouts(idle=0.4))
    try:
        reply, _ = await collect(chat)
    finally:
        await chat.aclose()
    assert reply.content == "abcde"


async def test_cancelling_closes_the_connection_at_once(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text(["tok "] * 500, chunk_delay=0.02))
    seen: list[str] = []

    async def consume() -> None:
        async for event in client.stream_chat(model="m", messages=HELLO, params=ChatParams()):
            if isinstance(event, ContentDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    [request] = fake_server.chat_requests()
    assert await await_event(request.disconnected, timeout=2)
    assert not request.completed.is_set()


async def test_breaking_out_with_aclosing_closes_the_connection(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text(["tok "] * 500, chunk_delay=0.02))
    stream = client.stream_chat(model="m", messages=HELLO, params=ChatParams())
    async with contextlib.aclosing(stream):
        async for event in stream:
            if isinstance(event, ContentDelta):
                break
    [request] = fake_server.chat_requests()
    assert await await_event(request.disconnected, timeout=2)


async def test_large_reply_with_unicode_line_separators(client: ChatClient, fake_server: FakeServer) -> None:
    tokens = [f"word{i}\u2028 " if i % 100 == 0 else f"w{i} " for i in range(5000)]
    fake_server.script(stream_text(tokens))
    reply, events = await collect(client)
    assert reply.content == "".join(tokens)
    assert isinstance(events[-1], Usage | Finished)


async def test_a_model_list_that_is_a_web_page_is_named_by_its_title(
    client: ChatClient, fake_server: FakeServer
) -> None:
    page = "<!doctype html><html><head><title>Open WebUI</title></head><body>" + "x" * 5000 + "</body></html>"
    fake_server.script_models(json_reply(page, content_type="text/html"))
    with pytest.raises(APIError) as caught:
        await client.list_models()
    assert str(caught.value) == (
        f"the model list from {fake_server.base_url} is not JSON (an HTML page: Open WebUI); is the base URL the "
        "API's (usually ending in /v1)?"
    )


async def test_list_models_shapes(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.models = models_reply(shape="openrouter")
    models = await client.list_models()
    assert any(m.context_length for m in models)
    router = [m for m in models if m.id == "openrouter/auto"]
    assert router and router[0].prompt_price_per_million is None
    fake_server.models = models_reply(shape="bare_list")
    assert await client.list_models()
    fake_server.models = openai_error_reply(401, "bad key")
    with pytest.raises(APIStatusError):
        await client.list_models()


async def test_reasoning_and_content_events_interleave_in_order(client: ChatClient, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("Answer", reasoning="Think"))
    _, events = await collect(client)
    kinds = [type(e).__name__ for e in events if isinstance(e, ReasoningDelta | ContentDelta)]
    assert kinds.index("ReasoningDelta") < kinds.index("ContentDelta")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"HTTPS_PROXY": "http://proxy:3128"}, True),
        ({"all_proxy": "socks5://proxy"}, True),
        ({"http_proxy": "proxy:3128"}, True),
        ({"NO_PROXY": "localhost"}, False),
        ({"ftp_proxy": "http://proxy:21"}, False),  # httpx ignores proxies for other schemes
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "localhost, *"}, False),  # httpx: no proxy at all
    ],
)
def test_proxy_settings_turn_the_direct_transport_off_as_httpx_would_use_them(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: bool
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert proxy_configured() is expected


def test_a_system_proxy_setting_turns_the_direct_transport_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """On macOS and Windows urllib (and so httpx) also reads the system's proxy settings, with no variable set."""
    import urllib.request

    monkeypatch.setattr(urllib.request, "getproxies", lambda: {"https": "proxy.corp:8080"})
    assert proxy_configured()


async def test_direct_transport_refused_connection_is_a_connection_error() -> None:
    chat = ChatClient(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0, transport=DirectTransport())
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APIConnectionError) and "127.0.0.1" in str(error)


async def test_a_server_echoing_the_key_never_gets_it_into_an_error(
    client: ChatClient, fake_server: FakeServer
) -> None:
    # Some servers and proxies quote the key they were sent; the message is shown, logged and saved with the reply.
    fake_server.script(
        openai_error_reply(401, f"Incorrect API key provided: {TEST_API_KEY}", code=TEST_API_KEY),
        stream_error("openai", message=f"bad header Bearer {TEST_API_KEY}", code=TEST_API_KEY),
    )
    fake_server.script_models(error_reply(403, f"<html>forbidden for {TEST_API_KEY}</html>"))
    _, status = await collect_until_error(client)
    _, stream = await collect_until_error(client)
    with pytest.raises(APIStatusError) as listing:
        await client.list_models()
    assert isinstance(status, APIStatusError) and isinstance(stream, StreamError)
    for error in (status, stream, listing.value):
        assert TEST_API_KEY not in repr(vars(error)) + str(error), error
    assert "Incorrect API key provided: [API key]" in str(status) and "Bearer [API key]" in str(stream)
    assert "forbidden for [API key]" in str(listing.value)
