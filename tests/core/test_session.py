"""ChatSession: the message lifecycle of docs/architecture.md's persistence model, against the fake server and a
real store."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from tests.core.conftest import drain
from tests.fakes.server import (
    FakeServer,
    RecordedRequest,
    Reply,
    dynamic,
    openai_error_reply,
    stream_error,
    stream_text,
)
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.events import ContentDelta
from toki_tui.core.api.params import ChatParams
from toki_tui.core.errors import APIStatusError, StreamError
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore


def rows(path: Path) -> list[tuple[str, str, str]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT role, status, content FROM messages ORDER BY id").fetchall()


async def test_user_message_is_saved_before_the_request(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    seen_by_server: list[list[tuple[str, str, str]]] = []

    def answer(request: RecordedRequest) -> Reply:
        seen_by_server.append(rows(store.path))
        return stream_text("hello back")

    fake_server.script(dynamic(answer))
    await drain(session.send("hello"))
    assert seen_by_server == [[("user", "complete", "hello")]]
    assert rows(store.path) == [("user", "complete", "hello"), ("assistant", "complete", "hello back")]


async def test_reply_metadata_is_recorded(session: ChatSession, fake_server: FakeServer, store: HistoryStore) -> None:
    session.params = ChatParams.create(temperature=0.4, max_tokens=30)
    fake_server.script(stream_text("meta", reasoning="hmm"))
    await drain(session.send("q"))
    assert session.conversation_id is not None
    branch = store.branch(session.conversation_id)
    reply = branch[-1]
    assert reply.model == "m" and reply.endpoint == "toki"
    assert reply.params == {"temperature": 0.4, "max_tokens": 30}
    assert reply.usage and reply.usage["total_tokens"] > 0
    assert reply.finish_reason == "stop" and reply.status == "complete"
    assert reply.reasoning == "hmm"
    assert reply.ttft is not None and reply.duration is not None and reply.duration >= reply.ttft


async def test_reply_is_checkpointed_while_streaming(fake_server: FakeServer, store: HistoryStore) -> None:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    chat = ChatSession(
        client=client, store=store, endpoint_name="toki", model="m", params=ChatParams(), checkpoint_interval=0.1
    )
    fake_server.script(stream_text(["part "] * 40, chunk_delay=0.03))
    snapshots: list[tuple[str, str, str]] = []
    count = 0
    async for event in chat.send("go"):
        if isinstance(event, ContentDelta):
            count += 1
            if count == 30:
                snapshots = rows(store.path)
    await client.aclose()
    assert snapshots[-1][0:2] == ("assistant", "streaming")
    assert snapshots[-1][2].startswith("part part")  # checkpointed text, not yet the whole reply
    assert rows(store.path)[-1] == ("assistant", "complete", "part " * 40)


async def test_cancel_keeps_partial_reply_as_stopped(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_text(["x "] * 500, chunk_delay=0.01))
    received: list[str] = []

    async def consume() -> None:
        async for event in session.send("long one"):
            if isinstance(event, ContentDelta):
                received.append(event.text)

    task = asyncio.create_task(consume())
    while len(received) < 5:
        await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    role, status, content = rows(store.path)[-1]
    assert (role, status) == ("assistant", "stopped")
    assert content == "".join(received)
    assert fake_server.chat_requests()[0].disconnected.wait(2)


async def test_http_error_is_recorded_with_its_text(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(openai_error_reply(401, "Invalid key"))
    with pytest.raises(APIStatusError):
        await drain(session.send("hi"))
    assert session.conversation_id is not None
    reply = store.branch(session.conversation_id)[-1]
    assert reply.role == "assistant" and reply.status == "error"
    assert reply.error is not None and "Invalid key" in reply.error


async def test_mid_stream_error_keeps_partial_text(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_error("openai", before="Half an answer"))
    with pytest.raises(StreamError):
        await drain(session.send("hi"))
    assert session.conversation_id is not None
    reply = store.branch(session.conversation_id)[-1]
    assert (reply.status, reply.content) == ("error", "Half an answer")


async def test_length_status(session: ChatSession, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("truncated", finish_reason="length"))
    await drain(session.send("hi"))
    assert session.last_run.reply_status == "length"


async def test_context_has_no_reasoning_and_no_failed_replies(session: ChatSession, fake_server: FakeServer) -> None:
    session.system_prompt = "Be kind."
    fake_server.script(
        stream_text("Answer one", reasoning="secret thoughts"),
        openai_error_reply(400, "bad"),
        stream_text("Answer two"),
    )
    await drain(session.send("one"))
    with pytest.raises(APIStatusError):
        await drain(session.send("two"))
    await drain(session.send("three"))
    messages = fake_server.chat_requests()[2].json()["messages"]
    assert messages == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "Answer one"},
        {"role": "user", "content": "two"},
        {"role": "user", "content": "three"},
    ]
    assert "secret" not in str(messages)


async def test_settings_changes_apply_to_the_next_request(session: ChatSession, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("a"), stream_text("b"))
    await drain(session.send("first"))
    session.params = session.params.replace(temperature=1.5)
    session.model = "other"
    await drain(session.send("second"))
    first, second = (r.json() for r in fake_server.chat_requests())
    assert "temperature" not in first and first["model"] == "m"
    assert second["temperature"] == 1.5 and second["model"] == "other"


async def test_retry_makes_a_sibling_and_keeps_the_old_reply(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_text("first try"), stream_text("second try"))
    await drain(session.send("question"))
    await drain(session.retry())
    assert session.conversation_id is not None
    branch = store.branch(session.conversation_id)
    assert [m.content for m in branch] == ["question", "second try"]
    assert sorted(m.content for m in store.siblings(branch[-1].id)) == ["first try", "second try"]
    assert [m["content"] for m in fake_server.chat_requests()[1].json()["messages"]] == ["question"]


async def test_memory_only_session(fake_server: FakeServer) -> None:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    chat = ChatSession(client=client, store=None, endpoint_name="toki", model="m", params=ChatParams())
    fake_server.script(stream_text("one"), stream_text("two"))
    await drain(chat.send("a"))
    await drain(chat.send("b"))
    await client.aclose()
    assert [m["content"] for m in fake_server.chat_requests()[1].json()["messages"]] == ["a", "one", "b"]
