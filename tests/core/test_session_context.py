"""ChatSession keeps the context in memory as the session goes, and reads the branch again only when it changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, stream_text
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore


def sent_contents(fake_server: FakeServer, index: int) -> list[str]:
    return [message["content"] for message in fake_server.chat_requests()[index].json()["messages"]]


async def test_sending_does_not_read_the_branch_again(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_server.script(stream_text("a1"), stream_text("a2"), stream_text("a3"))
    reads: list[str] = []
    real_branch = store.branch

    def counted_branch(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return real_branch(*args, **kwargs)

    monkeypatch.setattr(store, "branch", counted_branch)
    for question in ("q1", "q2", "q3"):
        await drain(session.send(question))
    assert reads == []
    assert sent_contents(fake_server, 2) == ["q1", "a1", "q2", "a2", "q3"]


async def test_a_branch_extended_elsewhere_is_not_sent_by_a_session_that_never_saw_it(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    """A long-lived session (the TUI's) sends the branch it has shown; another process's additions stay in the
    tree, beside the session's next question. A new session (`toki ask -c`) reads the current leaf instead."""
    fake_server.script(stream_text("a1"), stream_text("a2"), stream_text("a3"))
    await drain(session.send("q1"))
    assert session.conversation_id is not None
    # Another toki process adds to the conversation behind this session's back.
    elsewhere = store.add_message(session.conversation_id, role="user", content="from elsewhere")
    store.add_message(session.conversation_id, role="assistant", content="answered elsewhere")
    await drain(session.send("q2"))
    assert sent_contents(fake_server, 1) == ["q1", "a1", "q2"]
    assert [message.content for message in store.siblings(elsewhere.id)] == ["from elsewhere", "q2"]
    later = ChatSession(
        client=session.client,
        store=store,
        endpoint_name="toki",
        model="m",
        params=session.params,
        conversation_id=session.conversation_id,
    )
    await drain(later.send("q3"))
    assert sent_contents(fake_server, 2) == ["q1", "a1", "q2", "a2", "q3"]


async def test_opening_another_conversation_sends_its_own_branch(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_text("a1"), stream_text("b2"))
    await drain(session.send("q1"))
    other = store.create_conversation(endpoint="toki", model="m", system_prompt=None, params={})
    store.add_message(other.id, role="user", content="old question")
    store.add_message(other.id, role="assistant", content="old answer")
    session.conversation_id = other.id
    session.forget_context()
    await drain(session.send("new question"))
    assert sent_contents(fake_server, 1) == ["old question", "old answer", "new question"]


async def test_retry_then_send_uses_the_new_branch(session: ChatSession, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("first try"), stream_text("second try"), stream_text("a2"))
    await drain(session.send("q1"))
    await drain(session.retry())
    await drain(session.send("q2"))
    assert sent_contents(fake_server, 2) == ["q1", "second try", "q2"]
