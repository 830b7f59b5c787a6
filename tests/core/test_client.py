"""ChatClient against the loopback fake server: what goes on the wire, and every fault of docs/protocol.md §6 that
reaches the client (framing details are covered byte by byte in test_sse.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.conftest import TEST_API_KEY
from tests.fakes.server import (
    FakeServer,
    await_event,
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
from toki_tui.core.api.client import ChatClient, DefaultTimeouts
from toki_tui.core.api.direct_transport import DirectTransport, proxy_configured
from toki_tui.core.api.events import ContentDelta, Finished, ReasoningDelta, RetryScheduled, StreamEvent, Usage
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply import ReplyAccumulator
from toki_tui.core.errors import APIConnectionError, APIStatusError, APITimeoutError, StreamError

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
    assert reply.content == "so far"


@pytest.mark.parametrize("form", ["openai", "openrouter", "vllm", "event", "event_text"])
async def test_mid_stream_errors_in_every_form(client: ChatClient, fake_server: FakeServer, form: str) -> None:
    fake_server.script(stream_error(form, before="Partial answer", message="Provider disconnected"))  # type: ignore[arg-type]
    reply, error = await collect_until_error(client)
    assert isinstance(error, StreamError)
    assert "Provider disconnected" in str(error)
    assert reply.content == "Partial answer"


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


async def test_server_that_never_answers_is_a_timeout_waiting_for_it_not_for_the_connection(
    fake_server: FakeServer,
) -> None:
    fake_server.script(hang(10))  # the connection is accepted and the request read; no status line comes
    chat = ChatClient(base_url=fake_server.base_url, api_key="k", max_retries=0, timeouts=DefaultTimeouts(idle=0.3))
    try:
        _, error = await collect_until_error(chat)
    finally:
        await chat.aclose()
    assert isinstance(error, APITimeoutError)
    assert "did not answer within 0.3 s" in str(error) and "connecting" not in str(error)


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
