"""Tool calls in the messages sent: an unanswered call gets a "no result" answer in the request (never stored),
and a result given with `tool_result_batches` is stored as a `tool` message before the model goes on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, stream_text, stream_tool_calls
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.errors import APIError
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.core.tool_answers import NO_RESULT_TEXT, answer_open_calls, choice_after_results

WEATHER = {"id": "c1", "name": "get_weather", "arguments": '{"city":"Oslo"}'}
TIME = {"id": "c2", "name": "get_time", "arguments": "{}"}


def _call(call: dict[str, str]) -> dict[str, Any]:
    return {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}


def sent(fake_server: FakeServer, index: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = fake_server.chat_requests()[index].json()["messages"]
    return messages


async def test_a_call_the_user_moved_on_from_gets_no_result_in_the_request_only(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_tool_calls([WEATHER, TIME]), stream_text("ok"))
    await drain(session.send("weather?"))
    await drain(session.send("never mind"))
    assert sent(fake_server, 1) == [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "", "tool_calls": [_call(WEATHER), _call(TIME)]},
        {"role": "tool", "content": NO_RESULT_TEXT, "tool_call_id": "c1"},
        {"role": "tool", "content": NO_RESULT_TEXT, "tool_call_id": "c2"},
        {"role": "user", "content": "never mind"},
    ]
    assert session.conversation_id is not None
    assert [m.role for m in store.branch(session.conversation_id)] == ["user", "assistant", "user", "assistant"]


async def test_a_stored_history_with_an_open_call_is_mended_when_read_again(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    """`toki ask -c` reads the branch from the store: the same rule applies."""
    conversation = store.create_conversation(endpoint="toki", model="m", system_prompt=None, params={})
    store.add_message(conversation.id, role="user", content="weather?")
    store.add_message(conversation.id, role="assistant", content="", tool_calls=[_call(WEATHER), _call(TIME)])
    store.add_message(conversation.id, role="tool", content="12 C", tool_call_id="c2")
    later = ChatSession(
        client=session.client, store=store, endpoint_name="toki", model="m", params=ChatParams(),
        conversation_id=conversation.id,
    )  # fmt: skip
    fake_server.script(stream_text("ok"))
    await drain(later.send("and tomorrow?"))
    assert [(m["role"], m.get("tool_call_id"), m["content"]) for m in sent(fake_server, 0)] == [
        ("user", None, "weather?"),
        ("assistant", None, ""),
        ("tool", "c2", "12 C"),
        ("tool", "c1", NO_RESULT_TEXT),
        ("user", None, "and tomorrow?"),
    ]


def test_answered_calls_and_a_final_call_being_continued_are_left_as_they_are() -> None:
    answered = [
        ChatMessage("user", "q"),
        ChatMessage("assistant", "", tool_calls=(_call(WEATHER),)),
        ChatMessage("tool", "sunny", tool_call_id="c1"),
        ChatMessage("assistant", "It is sunny."),
    ]
    assert answer_open_calls(answered) == answered
    continued = [ChatMessage("user", "q"), ChatMessage("assistant", "Let me", tool_calls=(_call(WEATHER),))]
    assert answer_open_calls(continued) == continued


async def test_a_tool_result_is_stored_and_the_model_goes_on(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_tool_calls([WEATHER]), stream_text("It is 12 C in Oslo."))
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    session.params = session.params.replace(tools=(tool,), tool_choice="required")
    await drain(session.send("weather?"))
    await drain(session.tool_result_batches("12 C"))
    assert sent(fake_server, 1)[-1] == {"role": "tool", "content": "12 C", "tool_call_id": "c1"}
    # The call was forced; the request with its result lets the model answer (forced, it could only call again).
    bodies = [request.json() for request in fake_server.chat_requests()]
    assert [body["tool_choice"] for body in bodies] == ["required", "auto"]
    assert session.conversation_id is not None
    branch = store.branch(session.conversation_id)
    assert [(m.role, m.tool_call_id, m.content) for m in branch[2:]] == [
        ("tool", "c1", "12 C"),
        ("assistant", None, "It is 12 C in Oslo."),
    ]
    assert (branch[1].params or {})["tool_choice"] == "required" and (branch[3].params or {})["tool_choice"] == "auto"


def test_only_a_forced_choice_is_relaxed_and_only_after_results() -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    answered = [ChatMessage("user", "q"), ChatMessage("tool", "12 C", tool_call_id="c1")]
    asked = [*answered, ChatMessage("assistant", "It is 12 C."), ChatMessage("user", "and tomorrow?")]
    for choice, after_results in [(named, "auto"), ("required", "auto"), ("none", "none"), ("auto", "auto")]:
        params = ChatParams(tool_choice=choice)
        assert choice_after_results(params, answered).tool_choice == after_results
        assert choice_after_results(params, asked).tool_choice == choice  # a new question is forced again


async def test_with_two_open_calls_the_id_is_needed_and_the_model_waits_for_both(
    session: ChatSession, fake_server: FakeServer
) -> None:
    fake_server.script(stream_tool_calls([WEATHER, TIME]), stream_text("done"))
    await drain(session.send("weather and time?"))
    with pytest.raises(APIError, match="several tool calls are open"):
        await drain(session.tool_result_batches("12 C"))
    with pytest.raises(APIError, match="'c9' is not an open tool call"):
        await drain(session.tool_result_batches("12 C", "c9"))
    await drain(session.tool_result_batches("12 C", "c1"))
    assert len(fake_server.chat_requests()) == 1  # c2 still open: no request yet
    await drain(session.tool_result_batches("noon"))
    assert [(m["role"], m.get("tool_call_id")) for m in sent(fake_server, 1)[2:]] == [("tool", "c1"), ("tool", "c2")]


async def test_no_open_call_is_an_error_and_stores_nothing(session: ChatSession, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("hello"))
    await drain(session.send("hi"))
    with pytest.raises(APIError, match="no open tool call"):
        await drain(session.tool_result_batches("12 C"))
    assert session.conversation_id is not None and session.store is not None
    assert [m.role for m in session.store.branch(session.conversation_id)] == ["user", "assistant"]


async def test_in_memory_the_same_rules_apply(fake_server: FakeServer) -> None:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    memory = ChatSession(client=client, store=None, endpoint_name="toki", model="m", params=ChatParams())
    fake_server.script(stream_tool_calls([WEATHER]), stream_text("sunny"), stream_text("ok"))
    await drain(memory.send("weather?"))
    await drain(memory.tool_result_batches("sunny"))
    await drain(memory.send("thanks"))
    assert [(m["role"], m.get("tool_call_id")) for m in sent(fake_server, 2)] == [
        ("user", None), ("assistant", None), ("tool", "c1"), ("assistant", None), ("user", None),
    ]  # fmt: skip
    await client.aclose()
