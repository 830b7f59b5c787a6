"""Tool-call routing with the real-world deviations of docs/protocol.md §2.4 / §6.16."""

from __future__ import annotations

from toki_tui.core.api.events import ToolCallDelta
from toki_tui.core.api.reply import ReplyAccumulator
from toki_tui.core.api.tool_calls import ToolCallRouter


def merged(entries: list[dict]) -> list[dict]:
    router = ToolCallRouter()
    reply = ReplyAccumulator()
    for entry in entries:
        reply.feed(router.route(entry, 0))
    return reply.tool_calls


def call(name: str, arguments: str, call_id: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def test_parallel_calls_by_index() -> None:
    calls = merged(
        [
            {"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": ""}},
            {"index": 1, "id": "b", "type": "function", "function": {"name": "g", "arguments": ""}},
            {"index": 0, "function": {"arguments": '{"x":'}},
            {"index": 1, "function": {"arguments": '{"y":2}'}},
            {"index": 0, "function": {"arguments": "1}"}},
        ]
    )
    assert calls == [call("f", '{"x":1}', "a"), call("g", '{"y":2}', "b")]


def test_missing_index_continues_the_open_call() -> None:
    calls = merged(
        [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"q"'}},
            {"function": {"arguments": ': "z"}'}},
        ]
    )
    assert calls == [call("f", '{"q": "z"}', "a")]


def test_null_index_with_new_id_opens_a_new_call() -> None:
    calls = merged(
        [
            {"index": None, "id": "a", "function": {"name": "f", "arguments": "{}"}},
            {"index": None, "id": "b", "function": {"name": "g", "arguments": "{}"}},
        ]
    )
    assert [c["id"] for c in calls] == ["a", "b"]


def test_index_zero_reused_with_new_id_is_a_new_call() -> None:
    calls = merged(
        [
            {"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}},
            {"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}},
        ]
    )
    assert calls == [call("f", "{}", "a"), call("g", "{}", "b")]


def test_arguments_that_are_not_json_are_kept_verbatim() -> None:
    calls = merged([{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{not json"}}])
    assert calls[0]["function"]["arguments"] == "{not json"


def test_arguments_sent_as_an_object_are_serialised() -> None:
    router = ToolCallRouter()
    delta = router.route({"index": 0, "id": "a", "function": {"name": "f", "arguments": {"k": 1}}}, 0)
    assert delta == ToolCallDelta(0, id="a", name="f", arguments='{"k": 1}')
