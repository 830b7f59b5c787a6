"""Compare (core/compare.py): one question to several models at once, against the fake server and a real store."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from tests.core.conftest import drain
from tests.fakes.per_model import by_model
from tests.fakes.server import (
    FakeServer,
    Reply,
    completion_json,
    hang,
    json_reply,
    openai_error_reply,
    stream_text,
    text_reply,
)
from toki_tui.core.api.client import ChatClient, DefaultTimeouts
from toki_tui.core.api.events import StreamEvent
from toki_tui.core.api.params import ChatParams
from toki_tui.core.compare import CompareError, check_compare_models, start_compare
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore

QUOTA = openai_error_reply(429, "You exceeded your current quota.", code="insufficient_quota")


def _ignore(index: int, batch: list[StreamEvent]) -> None:
    pass


async def test_each_model_gets_the_same_request_and_its_reply_is_a_sibling(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    session.params = ChatParams.create(temperature=0.3, max_tokens=50)
    session.system_prompt = "be brief"
    fake_server.default_reply = by_model(
        {"a": text_reply("from a", chunk_delay=0.01), "b": text_reply("from b"), "c": QUOTA}
    )
    ended: list[int] = []
    turn = await start_compare(session, "which?", ["a", "b", "c"])
    await turn.run(_ignore, ended.append)

    bodies = {request.json()["model"]: request.json() for request in fake_server.chat_requests()}
    assert sorted(bodies) == ["a", "b", "c"]
    shared = [{key: value for key, value in body.items() if key != "model"} for body in bodies.values()]
    assert shared[0] == shared[1] == shared[2]
    assert shared[0]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "which?"},
    ]
    assert shared[0]["temperature"] == 0.3 and shared[0]["max_tokens"] == 50
    assert sorted(ended) == [0, 1, 2]

    assert session.conversation_id is not None
    question, *replies = store.conversation_messages(session.conversation_id)
    assert question.role == "user"
    # Each row is created at its reply's first byte, so their order is the servers', not the models'.
    assert sorted((r.model, r.status, r.content) for r in replies) == [
        ("a", "complete", "from a"),
        ("b", "complete", "from b"),
        ("c", "error", ""),
    ]
    assert all(r.parent_id == question.id for r in replies)
    failed = next(r for r in replies if r.model == "c")
    assert failed.error is not None and "quota" in failed.error
    assert [run.reply_status for run in turn.runs] == ["complete", "complete", "error"]
    assert turn.failed == [turn.runs[2]] and turn.runs[2].error is not None
    assert turn.chosen == 0  # the conversation continues on the first reply until another is chosen


@pytest.mark.parametrize(
    "fault",
    [
        openai_error_reply(500, "upstream exploded", type="server_error"),
        stream_text(["half ", "a ", "reply"], finish_reason=None, usage=False, done=False, close_abruptly=True),
        hang(5),
    ],
    ids=["500", "dropped", "timeout"],
)
async def test_one_failing_model_does_not_disturb_the_others(
    fake_server: FakeServer, store: HistoryStore, fault: Reply
) -> None:
    client = ChatClient(base_url=fake_server.base_url, api_key="k", max_retries=0, timeouts=DefaultTimeouts(idle=0.3))
    session = ChatSession(client=client, store=store, endpoint_name="toki", model="m", params=ChatParams())
    fake_server.default_reply = by_model({"ok": text_reply("fine", chunk_delay=0.01), "bad": fault})
    turn = await start_compare(session, "q", ["bad", "ok"])
    await asyncio.wait_for(turn.run(_ignore), 10)
    await client.aclose()
    bad, ok = turn.runs
    assert ok.reply_status == "complete" and ok.content == "fine"
    assert bad.reply_status == "error" and bad.error
    assert bad.reply_message_id is not None and store.get_message(bad.reply_message_id).error == bad.error
    assert turn.chosen == 1  # the first reply that did not fail


async def test_choosing_a_reply_continues_the_conversation_on_it(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.default_reply = by_model({"a": text_reply("A says"), "b": text_reply("B says")})
    turn = await start_compare(session, "q1", ["a", "b"])
    await turn.run(_ignore)
    await turn.choose(1)
    fake_server.default_reply = text_reply("next")
    await drain(session.send("q2"))

    last = fake_server.chat_requests()[-1].json()
    assert [m["content"] for m in last["messages"]] == ["q1", "B says", "q2"]
    assert last["model"] == "m"  # the session's own model again
    assert session.conversation_id is not None
    branch = store.branch(session.conversation_id)
    assert [m.content for m in branch] == ["q1", "B says", "q2", "next"]
    chosen = turn.runs[1].reply_message_id
    assert chosen is not None and [s.content for s in store.siblings(chosen)] == ["A says", "B says"]


async def test_siblings_keep_the_order_the_models_were_given_whichever_answers_first(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.default_reply = by_model(
        {"late": replace(stream_text(["late one"]), head_delay=0.3), "early": text_reply("early one")}
    )
    turn = await start_compare(session, "q", ["late", "early"])
    await turn.run(_ignore)
    assert [run.content for run in turn.runs] == ["late one", "early one"]
    first = turn.runs[0].reply_message_id
    assert first is not None
    assert [(s.model, s.content) for s in store.siblings(first)] == [("late", "late one"), ("early", "early one")]


async def test_stopping_one_reply_leaves_the_others_streaming(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.default_reply = by_model(
        {"fast": text_reply("done quickly", chunk_delay=0.01), "slow": stream_text(["tick "] * 400, chunk_delay=0.02)}
    )
    turn = await start_compare(session, "go", ["fast", "slow"])

    def on_batch(index: int, batch: list[StreamEvent]) -> None:
        if index == 1 and turn.runs[1].reply.content:
            turn.stop(1)

    await asyncio.wait_for(turn.run(on_batch), 10)
    fast, slow = turn.runs
    assert fast.reply_status == "complete" and fast.content == "done quickly"
    assert slow.reply_status == "stopped" and slow.content.startswith("tick")
    assert slow.reply_message_id is not None
    assert store.get_message(slow.reply_message_id).status == "stopped"


async def test_cancelling_the_turn_stops_every_reply(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    endless = stream_text(["more "] * 400, chunk_delay=0.02)
    fake_server.default_reply = by_model({"a": endless, "b": endless})
    turn = await start_compare(session, "go", ["a", "b"])
    both_started = asyncio.Event()

    def on_batch(index: int, batch: list[StreamEvent]) -> None:
        if all(run.reply.content for run in turn.runs):
            both_started.set()

    task = asyncio.create_task(turn.run(on_batch))
    await asyncio.wait_for(both_started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [run.reply_status for run in turn.runs] == ["stopped", "stopped"]
    ids = [run.reply_message_id for run in turn.runs]
    assert all(i is not None and store.get_message(i).status == "stopped" for i in ids)


async def test_without_a_store_the_chosen_reply_joins_the_memory(fake_server: FakeServer) -> None:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    session = ChatSession(client=client, store=None, endpoint_name="toki", model="m", params=ChatParams())
    fake_server.default_reply = by_model({"a": text_reply("A"), "b": text_reply("B")})
    turn = await start_compare(session, "q1", ["a", "b"])
    await turn.run(_ignore)
    await turn.choose(1)
    fake_server.default_reply = text_reply("next")
    await drain(session.send("q2"))
    await client.aclose()
    assert [m["content"] for m in fake_server.chat_requests()[-1].json()["messages"]] == ["q1", "B", "q2"]


@pytest.mark.parametrize(
    ("models", "problem"),
    [(["a"], "2 to 4"), (["a", "b", "c", "d", "e"], "2 to 4"), (["a", "a"], "only once"), (["a", " "], "empty")],
)
def test_compare_needs_two_to_four_distinct_models(models: list[str], problem: str) -> None:
    with pytest.raises(CompareError, match=problem):
        check_compare_models(models)


async def test_the_fake_answers_by_model_whatever_the_order_of_requests(fake_server: FakeServer) -> None:
    fake_server.default_reply = by_model({"a": [json_reply({"n": 1}), json_reply({"n": 2})], "b": json_reply({"b": 1})})
    async with httpx.AsyncClient(base_url=fake_server.base_url) as client:

        async def ask(model: str) -> tuple[int, object]:
            response = await client.post("/chat/completions", json={"model": model, "messages": []})
            return response.status_code, response.json()

        answers = [await ask(model) for model in ("b", "a", "b", "a", "a", "nobody")]
    assert answers[:5] == [(200, {"b": 1}), (200, {"n": 1}), (200, {"b": 1}), (200, {"n": 2}), (200, {"n": 2})]
    status, body = answers[5]
    assert status == 404 and isinstance(body, dict) and body["error"]["code"] == "model_not_found"


async def test_replies_not_streamed_have_no_first_token_time_and_a_speed_over_the_whole_request(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    """With stream off each reply arrives whole: from its "first token" (its end) the speed was in the millions."""
    session.params = ChatParams.create(stream=False)
    usage = {"prompt_tokens": 12, "completion_tokens": 100, "total_tokens": 112}
    fake_server.default_reply = by_model(
        {
            "a": json_reply(completion_json("from a", usage=usage), leading_whitespace="\n", leading_delay=0.3),
            "b": json_reply(completion_json("from b", usage=usage)),
        }
    )
    turn = await start_compare(session, "which?", ["a", "b"])
    await turn.run(_ignore, lambda index: None)
    assert [request.json()["stream"] for request in fake_server.chat_requests()] == [False, False]
    slow = turn.runs[0].reply
    assert slow.content == "from a" and slow.ttft is None
    speed = slow.tokens_per_second()
    assert speed is not None and speed <= 100 / 0.3  # 100 completion tokens in at least 0.3 s
    assert session.conversation_id is not None
    stored = {r.model: r for r in store.conversation_messages(session.conversation_id)[1:]}
    assert stored["a"].ttft is None and stored["a"].duration is not None and stored["a"].duration >= 0.3
