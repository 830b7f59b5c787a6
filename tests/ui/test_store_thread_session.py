"""The session's store calls on the TUI's store thread keep their order: the user message before the request, a
reply's start and checkpoints before its finish, also when the reply is stopped half-way (Esc)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from tests.fakes.server import FakeServer, RecordedRequest, Reply, dynamic, stream_text
from tests.ui.test_app_store_off_loop import WatchedStore
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.events import ContentDelta
from toki_tui.core.api.params import ChatParams
from toki_tui.core.session import ChatSession
from toki_tui.ui.store_thread import StoreThread


async def test_a_reply_is_stored_in_order_on_the_store_thread_even_when_stopped(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    store = WatchedStore(tmp_path / "history.sqlite3")
    store.open()
    thread = StoreThread()
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(
        client=client,
        store=store,
        endpoint_name="toki",
        model="m",
        params=ChatParams(),
        checkpoint_interval=0.05,
        run_store=thread.run,
    )
    stored_before_request: list[list[str]] = []

    def answer(request: RecordedRequest) -> Reply:
        stored_before_request.append([call.name for call in store.calls])
        return stream_text(["x "] * 400, chunk_delay=0.005)

    fake_server.script(dynamic(answer))
    received: list[str] = []

    async def consume() -> None:
        async for event in session.send("long one"):
            if isinstance(event, ContentDelta):
                received.append(event.text)

    task = asyncio.create_task(consume())
    while not any(call.name == "checkpoint_reply" for call in store.calls):
        await asyncio.sleep(0.01)  # polling a condition: a checkpoint has been written
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.aclose()
    thread.close()
    names = [call.name for call in store.calls]
    assert stored_before_request == [["create_conversation", "add_message"]]
    assert names[:3] == ["create_conversation", "add_message", "start_reply"]
    assert names[-1] == "finish_reply" and set(names[3:-1]) == {"checkpoint_reply"}
    assert not any(call.on_loop for call in store.calls)
    assert session.conversation_id is not None
    reply = store.branch(session.conversation_id)[-1]
    assert reply.status == "stopped" and reply.content.startswith("x x ")
    store.close()
