"""ChatSession on the message tree: regenerating a reply in the middle, editing a past question, and continuing a
reply that was cut short (appended to the same stored row), against the fake server and a real store."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, openai_error_reply, stream_text
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatParams
from toki_tui.core.continuation import RESTARTED_NOTE, started_again
from toki_tui.core.errors import APIError
from toki_tui.core.pricing import Price
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore, StoredMessage

PARTIAL = "Rivers carry water from the mountains down towards"


def sent(fake_server: FakeServer, index: int = -1) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = fake_server.chat_requests()[index].json()["messages"]
    return messages


def exchange(store: HistoryStore, conversation_id: str, question: str, answer: str, **finish: Any) -> StoredMessage:
    asked = store.add_message(conversation_id, role="user", content=question)
    reply = store.start_reply(conversation_id, parent_id=asked.id, model="m", endpoint="toki", params={})
    return store.finish_reply(reply.id, content=answer, **({"status": "complete"} | finish))


def shown(session: ChatSession, conversation_id: str, leaf: int) -> ChatSession:
    """The session as the TUI leaves it after showing the branch that ends at `leaf`."""
    session.conversation_id = conversation_id
    session.forget_context(leaf)
    return session


@pytest.fixture
def conversation_id(store: HistoryStore) -> str:
    return store.create_conversation(endpoint="toki", model="m").id


async def test_continue_sends_the_partial_reply_last_and_appends_to_the_same_row(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    partial = exchange(store, conversation_id, "Tell me about rivers", PARTIAL, status="stopped")
    fake_server.script(stream_text(" the sea, shaping valleys."))
    await drain(shown(session, conversation_id, partial.id).continue_batches())
    assert sent(fake_server) == [
        {"role": "user", "content": "Tell me about rivers"},
        {"role": "assistant", "content": PARTIAL},
    ]
    [reply] = store.siblings(partial.id)  # one row: no sibling was made
    assert reply.id == partial.id
    assert reply.content == PARTIAL + " the sea, shaping valleys."
    assert (reply.status, reply.error) == ("complete", None)
    assert reply.usage is not None and reply.duration is not None
    assert len(store.conversation_messages(conversation_id)) == 2
    assert session.reply_note is None


async def test_continue_checkpoints_write_the_old_text_and_the_new(
    fake_server: FakeServer, store: HistoryStore, conversation_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = exchange(store, conversation_id, "q", PARTIAL, status="length", finish_reason="length")
    checkpoints: list[str] = []
    real = store.checkpoint_reply

    def recorded(message_id: int, **fields: Any) -> None:
        checkpoints.append(fields["content"])
        real(message_id, **fields)

    monkeypatch.setattr(store, "checkpoint_reply", recorded)
    fake_server.script(stream_text([" the", " sea", " at", " last."], chunk_delay=0.01))
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(
        client=client, store=store, endpoint_name="toki", model="m", params=ChatParams(), checkpoint_interval=0.0
    )
    await drain(shown(session, conversation_id, partial.id).continue_batches(partial.id))
    await client.aclose()
    assert checkpoints and all(content.startswith(PARTIAL) for content in checkpoints)
    assert store.get_message(partial.id).content == PARTIAL + " the sea at last."


async def test_a_server_that_starts_again_is_named_in_the_reply(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    partial = exchange(store, conversation_id, "q", PARTIAL, status="stopped")
    restarted = "Rivers  carry water\nfrom the mountains down towards the sea."  # spacing differs: still the start
    fake_server.script(stream_text(restarted))
    await drain(shown(session, conversation_id, partial.id).continue_batches())
    reply = store.get_message(partial.id)
    assert reply.content == PARTIAL + restarted  # kept as received, nothing pretended or dropped
    assert reply.error == RESTARTED_NOTE
    assert session.reply_note == RESTARTED_NOTE


async def test_a_continuation_that_fails_before_its_first_byte_leaves_the_reply_as_it_was(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    partial = exchange(store, conversation_id, "q", PARTIAL, status="stopped")
    fake_server.script(openai_error_reply(400, "context too long"))
    with pytest.raises(APIError, match="context too long"):
        await drain(shown(session, conversation_id, partial.id).continue_batches())
    reply = store.get_message(partial.id)
    assert (reply.content, reply.status, reply.error) == (PARTIAL, "stopped", None)


async def test_only_a_cut_short_reply_that_ends_its_branch_can_be_continued(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    complete = exchange(store, conversation_id, "q", "done.")
    with pytest.raises(APIError, match="stopped or cut short"):
        await drain(shown(session, conversation_id, complete.id).continue_batches())
    stopped = exchange(store, conversation_id, "q2", PARTIAL, status="stopped")
    store.add_message(conversation_id, role="user", content="asked after it")
    with pytest.raises(APIError, match="only the last reply of a branch"):
        await drain(shown(session, conversation_id, stopped.id).continue_batches(stopped.id))
    assert fake_server.chat_requests() == []


async def test_continue_without_a_store_replaces_the_reply_in_memory(fake_server: FakeServer) -> None:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(client=client, store=None, endpoint_name="toki", model="m", params=ChatParams())
    fake_server.script(
        stream_text(PARTIAL, finish_reason="length"), stream_text(" the sea."), stream_text("next answer")
    )
    await drain(session.send("q"))
    await drain(session.continue_batches())
    await drain(session.send("and then?"))
    await client.aclose()
    assert sent(fake_server, 1)[-1] == {"role": "assistant", "content": PARTIAL}
    assert sent(fake_server, 2) == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": PARTIAL + " the sea."},
        {"role": "user", "content": "and then?"},
    ]


async def test_regenerating_a_middle_reply_makes_its_sibling_and_keeps_the_branch_below(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    first = exchange(store, conversation_id, "q1", "a1")
    last = exchange(store, conversation_id, "q2", "a2")
    fake_server.script(stream_text("a1 again"))
    await drain(shown(session, conversation_id, last.id).retry_batches(first.id))
    assert [m["content"] for m in sent(fake_server)] == ["q1"]
    old, new = store.siblings(first.id)
    assert (old.id, new.content) == (first.id, "a1 again")
    assert store.get_conversation(conversation_id).current_leaf_id == new.id
    assert [m.content for m in store.branch(conversation_id, last.id)] == ["q1", "a1", "q2", "a2"]
    assert session.branch_end == new.id


async def test_editing_a_question_asks_a_sibling_and_overwrites_nothing(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    first = exchange(store, conversation_id, "q1", "a1")
    last = exchange(store, conversation_id, "q2", "a2")
    assert first.parent_id is not None and last.parent_id is not None
    q2 = store.get_message(last.parent_id)
    q1 = store.get_message(first.parent_id)
    fake_server.script(stream_text("a2 for the edit"), stream_text("a1 for the edit"))
    await drain(shown(session, conversation_id, last.id).edit_batches(q2.id, "q2 edited"))
    assert [m["content"] for m in sent(fake_server)] == ["q1", "a1", "q2 edited"]
    assert [m.content for m in store.siblings(q2.id)] == ["q2", "q2 edited"]
    assert [m.content for m in store.branch(conversation_id)] == ["q1", "a1", "q2 edited", "a2 for the edit"]
    # The first question has no parent: its edit is a second root.
    await drain(session.edit_batches(q1.id, "q1 edited"))
    assert [m["content"] for m in sent(fake_server)] == ["q1 edited"]
    assert [(m.content, m.parent_id) for m in store.siblings(q1.id)] == [("q1", None), ("q1 edited", None)]
    assert len(store.leaves(conversation_id)) == 3


@pytest.mark.parametrize(
    ("partial", "continuation", "expected"),
    [
        (PARTIAL, " the sea.", False),
        (PARTIAL, PARTIAL + " the sea.", True),
        (PARTIAL, "  Rivers carry\n\nwater from the mountains down towards the sea", True),
        (PARTIAL, "Rivers carry", False),  # too short to tell yet
        ("Sure! ", "Sure! Here it is.", False),  # shorter than the minimum: a common opening, no claim
        ("Here is a list:", "Here is a list: one, two", True),  # a short partial is compared whole
        ("", "anything", False),
    ],
)
def test_started_again(partial: str, continuation: str, expected: bool) -> None:
    assert started_again(partial, continuation) is expected


async def test_a_continued_reply_costs_both_parts_or_is_unknown(
    session: ChatSession, store: HistoryStore, conversation_id: str, fake_server: FakeServer
) -> None:
    price = Price(1.0, 2.0, "config")
    session.price_of = {"m": price}.get
    usage = {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}  # 0.0002 at that price
    first_usage = {"prompt_tokens": 80, "completion_tokens": 400, "total_tokens": 480}
    priced = exchange(
        store,
        conversation_id,
        "q1",
        PARTIAL,
        status="length",
        cost_estimate=0.001,
        price=price,
        usage=first_usage,
        ttft=0.5,
        duration=4.0,
    )
    fake_server.script(stream_text(" the sea.", usage=usage), stream_text(" the sea.", usage=usage))
    await drain(shown(session, conversation_id, priced.id).continue_batches())
    continued = store.get_message(priced.id)
    assert continued.cost_estimate == pytest.approx(0.0012)
    # Its tokens are both parts' too (they were the continuation's alone: `toki usage` lost the first part's).
    assert continued.usage == {"prompt_tokens": 180, "completion_tokens": 450, "total_tokens": 630}
    assert continued.ttft == 0.5 and continued.duration is not None and continued.duration > 4.0
    unpriced = exchange(store, conversation_id, "q2", PARTIAL, status="stopped")
    await drain(shown(session, conversation_id, unpriced.id).continue_batches())
    assert store.get_message(unpriced.id).cost_estimate is None  # the first part's cost is unknown
