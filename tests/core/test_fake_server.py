"""Self-tests of tests/fakes: each fault the fake claims to play really happens on the wire, seen through a
plain httpx client (and openai-python's SSE decoder as an independent reader of our event streams)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai._streaming import SSEDecoder

from tests.conftest import TEST_API_KEY, IsolatedDirs
from tests.fakes.server import (
    ERROR_FORMS,
    ErrorForm,
    FakeServer,
    await_event,
    content_chunk,
    drop_connection,
    error_reply,
    hang,
    html_error_page,
    http_date,
    json_reply,
    keepalive_forever,
    models_reply,
    rate_limit_reply,
    raw_stream,
    sse_event,
    stream_error,
    stream_text,
    stream_tool_calls,
)
from tests.fakes.streams import IndexMode

CHAT = {"model": "deepseek/deepseek-chat-v3", "messages": [{"role": "user", "content": "hello there, world"}]}
STREAM_CHAT = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}


def sse_payloads(body: bytes) -> list[dict[str, Any]]:
    """The JSON payloads of every event until [DONE], decoded by openai-python's SSE decoder."""
    payloads = []
    for event in SSEDecoder().iter_bytes(iter([body])):
        if event.data.startswith("[DONE]"):
            break
        payloads.append(json.loads(event.data))
    return payloads


def streamed_text(body: bytes, field: str = "content", index: int = 0) -> str:
    return "".join(
        choice["delta"].get(field) or ""
        for payload in sse_payloads(body)
        for choice in payload.get("choices", [])
        if choice["index"] == index
    )


async def test_default_reply_streams_an_echo_and_records_the_request(fake_server: FakeServer) -> None:
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:
        response = await client.post(
            "/chat/completions", json={**STREAM_CHAT, "temperature": 0.3}, headers={"Authorization": "Bearer sk-x"}
        )
    assert response.headers["content-type"] == "text/event-stream"
    payloads = sse_payloads(response.content)
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert streamed_text(response.content) == "hello there, world"
    assert payloads[-2]["choices"][0]["finish_reason"] == "stop"
    assert payloads[-1]["choices"] == [] and payloads[-1]["usage"]["completion_tokens"] == 3
    assert response.content.endswith(b"data: [DONE]\n\n")
    [request] = fake_server.chat_requests()
    assert request.json()["temperature"] == 0.3
    assert request.headers["authorization"] == "Bearer sk-x" and request.bearer_token == "sk-x"
    assert request.completed.is_set() and not request.disconnected.is_set()
    assert "sk-x" not in repr(request)


async def test_echo_answers_json_when_not_streaming_and_honours_max_tokens(fake_server: FakeServer) -> None:
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:
        plain = (await client.post("/chat/completions", json=CHAT)).json()
        cut = (await client.post("/chat/completions", json={**CHAT, "max_tokens": 2})).json()
    assert plain["object"] == "chat.completion"
    assert plain["choices"][0]["message"]["content"] == "hello there, world"
    assert cut["choices"][0]["message"]["content"] == "hello there,"
    assert cut["choices"][0]["finish_reason"] == "length"


async def test_scripted_replies_are_used_in_order_then_the_default(fake_server: FakeServer) -> None:
    fake_server.script(json_reply({"n": 1}), error_reply(500, {"error": {"message": "boom"}}))
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:
        statuses = [(await client.post("/chat/completions", json=CHAT)).status_code for _ in range(3)]
        models = await client.get("/models")
    assert statuses == [200, 500, 200]
    assert "deepseek/deepseek-chat-v3" in [model["id"] for model in models.json()["data"]]
    assert len(fake_server.chat_requests()) == 3 and len(fake_server.requests) == 4
    # httpx kept one connection alive for all four requests.
    assert fake_server.connection_count == 1
    assert [r.sequence_on_connection for r in fake_server.requests] == [1, 2, 3, 4]


async def test_expected_api_key_gives_401_without_echoing_the_key(fake_server: FakeServer) -> None:
    fake_server.expected_api_key = TEST_API_KEY
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:
        missing = await client.post("/chat/completions", json=CHAT)
        wrong = await client.post("/chat/completions", json=CHAT, headers={"Authorization": "Bearer sk-wrong-999"})
        right = await client.post("/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {TEST_API_KEY}"})
    assert missing.status_code == 401 and wrong.status_code == 401 and right.status_code == 200
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong" not in wrong.text


async def test_unknown_route_is_an_openai_style_404(fake_server: FakeServer) -> None:
    async with httpx.AsyncClient(base_url=fake_server.root_url) as client:
        response = await client.post("/chat/completions", json=CHAT)  # missing /v1
    assert response.status_code == 404
    assert "Unknown request URL" in response.json()["error"]["message"]


async def test_abrupt_close_mid_body_raises_incomplete_chunked_read(fake_server: FakeServer) -> None:
    fake_server.script(stream_text("cut off here", finish_reason=None, usage=False, done=False, close_abruptly=True))
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            async with client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response:
                async for piece in response.aiter_bytes():
                    received += piece
    assert streamed_text(bytes(received) + b"\n\n") == "cut off here"
    [request] = fake_server.chat_requests()
    assert request.server_closed.is_set() and not request.completed.is_set()


@pytest.mark.parametrize(
    ("after_bytes", "message"),
    [(0, "without sending a response"), (40, "without sending a response"), (300, "incomplete chunked read")],
)
async def test_drop_connection_before_or_inside_the_response_head(
    fake_server: FakeServer, after_bytes: int, message: str
) -> None:
    fake_server.script(drop_connection(after_bytes))
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await client.post("/chat/completions", json=STREAM_CHAT)
        # The next request gets a fresh connection and the default reply.
        assert (await client.post("/chat/completions", json=CHAT)).status_code == 200


async def test_client_closing_the_response_early_is_detected(fake_server: FakeServer) -> None:
    fake_server.script(stream_text("one two three four five six", chunk_delay=0.2))
    async with (
        httpx.AsyncClient(base_url=fake_server.base_url) as client,
        client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response,
    ):
        async for _piece in response.aiter_bytes():
            break  # the role chunk arrived; now "press Esc"
    [request] = fake_server.chat_requests()
    assert await await_event(request.disconnected, 5)
    assert not request.completed.is_set() and request.outcome == "client_disconnected"
    assert request.disconnected_at is not None and request.disconnected_at - request.received_at < 1.0


def test_keepalive_forever_stops_when_the_client_leaves(fake_server: FakeServer) -> None:
    fake_server.script(keepalive_forever(0.05))
    with (
        httpx.Client(base_url=fake_server.base_url) as client,
        client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response,
    ):
        pieces = response.iter_bytes()
        chunks = [next(pieces) for _ in range(2)]
    assert chunks[0] == b": keep-alive\n\n"
    [request] = fake_server.chat_requests()
    assert request.wait_disconnected(5)


def test_hang_times_out_the_client(fake_server: FakeServer) -> None:
    fake_server.script(hang(60))
    with (
        httpx.Client(base_url=fake_server.base_url, timeout=httpx.Timeout(5, read=0.3)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post("/chat/completions", json=CHAT)
    # The client gave up and closed the socket, which ends the hang at once.
    assert fake_server.chat_requests()[0].wait_disconnected(5)


def test_stop_cuts_a_hanging_reply_short() -> None:
    server = FakeServer().start()
    server.script(hang(60, headers_first=True))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.post(f"{server.base_url}/chat/completions", json=STREAM_CHAT, timeout=30)
        except httpx.HTTPError as error:
            errors.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    [request] = server.wait_for_chat_requests(1)
    started = time.monotonic()
    server.stop()
    caller.join(10)
    assert time.monotonic() - started < 5 and not caller.is_alive()
    assert request.server_closed.is_set()
    assert [type(error) for error in errors] == [httpx.RemoteProtocolError]


def test_hang_after_head_sends_the_head_but_no_body(fake_server: FakeServer) -> None:
    fake_server.script(hang(60, headers_first=True))
    with (
        httpx.Client(base_url=fake_server.base_url, timeout=httpx.Timeout(5, read=0.3)) as client,
        client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            response.read()


async def test_raw_stream_parts_reach_aiter_bytes_as_separate_pieces(fake_server: FakeServer) -> None:
    event = sse_event(content_chunk("é\u2028ü"))
    split_at = event.index("é".encode()) + 1  # inside the two-byte é
    parts = [b"\xef\xbb\xbf", event[:split_at], event[split_at:], b": ping\r\n\r\n", b"data: [DONE]\n\ntrailing"]
    fake_server.script(raw_stream(parts))
    async with (
        httpx.AsyncClient(base_url=fake_server.base_url) as client,
        client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response,
    ):
        pieces = [piece async for piece in response.aiter_bytes()]
    assert pieces == parts


@pytest.mark.parametrize("form", ERROR_FORMS)
def test_mid_stream_error_forms(fake_server: FakeServer, form: ErrorForm) -> None:
    fake_server.script(stream_error(form, before="Partial", message="Provider disconnected"))
    with httpx.Client(base_url=fake_server.base_url) as client:
        response = client.post("/chat/completions", json=STREAM_CHAT)
    assert response.status_code == 200 and b"[DONE]" not in response.content
    events = list(SSEDecoder().iter_bytes(iter([response.content])))
    assert json.loads(events[1].data)["choices"][0]["delta"]["content"] == "Partial"
    last = events[-1]
    assert "Provider disconnected" in last.data
    if form in ("event", "event_text"):
        assert last.event == "error"
    elif form == "openrouter":
        payload = json.loads(last.data)
        assert payload["error"]["code"] == "server_error" and payload["choices"][0]["finish_reason"] == "error"
    elif form == "vllm":
        assert json.loads(last.data)["object"] == "error"
    elif form == "not_json":
        assert last.data == "error: Provider disconnected"


def test_stream_text_framing_variants(fake_server: FakeServer) -> None:
    fake_server.script(
        stream_text("a b", no_space=True, line_ending="\r\n", leading_bom=True, keepalive_comments=2),
        stream_text("x", n=2, choice_texts=["left", "right"], azure_prefilter=True, usage_in_chunks="null"),
        stream_text("answer", reasoning="think hard", reasoning_field="both", finish_with_last_content=True),
    )
    with httpx.Client(base_url=fake_server.base_url) as client:
        crlf, two, reasoning = (client.post("/chat/completions", json=STREAM_CHAT).content for _ in range(3))
    assert crlf.startswith(b"\xef\xbb\xbf: keep-alive\r\n\r\n: keep-alive\r\n\r\ndata:{")
    assert streamed_text(crlf[3:]) == "a b"
    first = sse_payloads(two)[0]
    assert first["choices"] == [] and "prompt_filter_results" in first
    assert streamed_text(two, index=0) == "left" and streamed_text(two, index=1) == "right"
    assert all("usage" in payload for payload in sse_payloads(two)[1:])
    assert streamed_text(reasoning, "reasoning") == streamed_text(reasoning, "reasoning_content") == "think hard"
    last_content = [p for p in sse_payloads(reasoning) if p["choices"] and p["choices"][0]["delta"].get("content")][-1]
    assert last_content["choices"][0]["finish_reason"] == "stop"


def test_twenty_thousand_tokens_arrive_intact_in_few_frames(fake_server: FakeServer) -> None:
    tokens = [f" t{i}" for i in range(20_000)]
    fake_server.script(stream_text(tokens))
    with (
        httpx.Client(base_url=fake_server.base_url) as client,
        client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response,
    ):
        pieces = list(response.iter_bytes())
    body = b"".join(pieces)
    assert streamed_text(body) == "".join(tokens)
    assert len(pieces) < 1000  # coalesced into ~16 KiB frames, not one write per token


@pytest.mark.parametrize("index_mode", ["normal", "missing", "null", "reused_zero"])
def test_tool_call_index_modes(fake_server: FakeServer, index_mode: IndexMode) -> None:
    calls: list[dict[str, Any]] = [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_time", "arguments": "{bad"},
    ]
    fake_server.script(stream_tool_calls(calls, index_mode=index_mode, fragment_size=4))
    with httpx.Client(base_url=fake_server.base_url) as client:
        body = client.post("/chat/completions", json=STREAM_CHAT).content
    entries = [
        entry for p in sse_payloads(body) if p["choices"] for entry in p["choices"][0]["delta"].get("tool_calls") or []
    ]
    expected_index = {"normal": None, "missing": "absent", "null": None, "reused_zero": 0}[index_mode]
    if index_mode == "missing":
        assert all("index" not in entry for entry in entries)
    elif index_mode == "normal":
        assert {entry["index"] for entry in entries} == {0, 1}
    else:
        assert all(entry["index"] == expected_index for entry in entries)
    assert [entry["id"] for entry in entries if "id" in entry] == ["call_fake_0", "call_fake_1"]
    arguments = "".join(entry["function"]["arguments"] for entry in entries)
    assert arguments == '{"city":"Paris"}{bad'


def test_plain_replies_errors_and_models_shapes(fake_server: FakeServer) -> None:
    fake_server.script(
        json_reply({"ok": True}, leading_whitespace="\n\n\n"),
        rate_limit_reply(retry_after=0.25, retry_after_ms=250),
        rate_limit_reply(retry_after=http_date(30)),
        error_reply(502, html_error_page()),
        error_reply(402, {"message": "Insufficient balance"}),
    )
    fake_server.models = models_reply("openrouter")
    with httpx.Client(base_url=fake_server.base_url) as client:
        blank, limited, dated, html, unwrapped = (client.post("/chat/completions", json=CHAT) for _ in range(5))
        models = client.get("/models").json()
    assert blank.content.startswith(b"\n\n\n{") and blank.json() == {"ok": True}
    assert limited.status_code == 429 and limited.headers["retry-after"] == "0.25"
    assert limited.headers["retry-after-ms"] == "250" and "type" not in limited.json()["error"]
    assert dated.headers["retry-after"].endswith("GMT")
    assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")
    assert unwrapped.status_code == 402 and unwrapped.json() == {"message": "Insufficient balance"}
    by_id = {model["id"]: model for model in models["data"]}
    assert by_id["deepseek/deepseek-chat-v3"]["context_length"] > 0
    assert by_id["openrouter/auto"]["pricing"]["prompt"] == "-1"


def test_server_answers_while_the_test_thread_blocks_on_a_subprocess(fake_server: FakeServer) -> None:
    code = (
        "import json, sys, urllib.request\n"
        "request = urllib.request.Request(sys.argv[1] + '/chat/completions', method='POST',\n"
        "    data=json.dumps({'messages': [{'role': 'user', 'content': 'from a subprocess'}]}).encode(),\n"
        "    headers={'Content-Type': 'application/json'})\n"
        "print(json.load(urllib.request.urlopen(request))['choices'][0]['message']['content'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, fake_server.base_url], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "from a subprocess"
    assert fake_server.wait_for_chat_requests(1)[0].json()["messages"][0]["content"] == "from a subprocess"


def test_cli_serves_a_scenario_until_killed() -> None:
    command = [sys.executable, "-m", "tests.fakes.server", "--port", "0", "--scenario", "markdown", "--quiet"]
    repo_root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(command, cwd=repo_root, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
            with httpx.Client(base_url=base_url) as client:
                reply = client.post("/chat/completions", json=CHAT).json()
            assert "```python" in reply["choices"][0]["message"]["content"]
        finally:
            process.terminate()
    assert process.returncode == 0  # SIGTERM stops it cleanly


def test_wait_for_requests_times_out_when_nothing_arrives(fake_server: FakeServer) -> None:
    with pytest.raises(TimeoutError):
        fake_server.wait_for_chat_requests(1, timeout=0.1)
    threading.Timer(0.1, lambda: httpx.post(f"{fake_server.base_url}/chat/completions", json=CHAT)).start()
    assert len(fake_server.wait_for_chat_requests(1, timeout=5)) == 1


def test_env_fixtures_isolate_from_the_developer(
    toki_env: dict[str, str], fake_server: FakeServer, isolated_dirs: IsolatedDirs, tmp_path: Path
) -> None:
    assert toki_env["TOKI_BASE_URL"] == fake_server.base_url and toki_env["TOKI_API_KEY"] == TEST_API_KEY
    assert all(Path(toki_env[name]).is_relative_to(tmp_path) for name in ("TOKI_CONFIG_DIR", "TOKI_DATA_DIR"))
    assert os.environ["TOKI_DATA_DIR"] == str(isolated_dirs.data_dir) and isolated_dirs.data_dir.is_dir()
    assert "TOKI_API_KEY" not in os.environ


def test_openai_sdk_reads_our_streams_tool_calls_and_retry_after(fake_server: FakeServer) -> None:
    """The reference client agrees the fake speaks the protocol: streams, tool calls, 429 + Retry-After."""
    import openai

    client = openai.OpenAI(base_url=fake_server.base_url, api_key=TEST_API_KEY, max_retries=2)
    stream = client.chat.completions.create(
        model="deepseek/deepseek-chat-v3", messages=[{"role": "user", "content": "ping pong"}], stream=True
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "ping pong"
    fake_server.script(stream_tool_calls([{"name": "lookup", "arguments": {"q": "toki"}}], index_mode="normal"))
    with client.chat.completions.stream(model="m", messages=[{"role": "user", "content": "x"}]) as tool_stream:
        [call] = tool_stream.get_final_completion().choices[0].message.tool_calls or []
    assert call.function.name == "lookup" and json.loads(call.function.arguments) == {"q": "toki"}
    fake_server.script(rate_limit_reply(retry_after=0.05), rate_limit_reply(retry_after_ms=50))
    answer = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "third time"}])
    assert answer.choices[0].message.content == "third time"
    retry_counts = [r.headers.get("x-stainless-retry-count") for r in fake_server.chat_requests()[-3:]]
    assert retry_counts == ["0", "1", "2"]


def test_a_paced_reply_keeps_its_schedule(fake_server: FakeServer) -> None:
    """`paced=True` counts each part's delay from when the head was written (the benchmarks' steady rate); plain
    delays are counted from the previous write, so every wait's overshoot adds up."""
    from dataclasses import replace

    from tests.fakes.replies import Part, Reply

    parts = tuple(Part(sse_event(content_chunk(f"w{n} ")), 0.002) for n in range(150))  # 0.3 s on schedule
    template = Reply(content_type="text/event-stream", parts=parts, framing="chunked")

    def duration(reply: Reply) -> float:
        fake_server.script(reply)
        with (
            httpx.Client(base_url=fake_server.base_url) as client,
            client.stream("POST", "/chat/completions", json=STREAM_CHAT) as response,
        ):
            started = time.perf_counter()
            body = b"".join(response.iter_bytes())
            elapsed = time.perf_counter() - started
        assert body.count(b"data:") == 150
        return elapsed

    # On schedule, and not late by the sum of 150 waits' overshoot (~0.1-1 ms each). The schedule counts from
    # when the head was written and the clock here starts when it was read, later on a loaded machine, so the
    # lower bound allows for that; the upper bound is loose for the same reason.
    assert 0.2 <= duration(replace(template, paced=True)) < 1.5
    assert duration(template) >= 0.3  # chained waits are never shorter than their sum
