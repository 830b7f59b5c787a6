"""toki's reply limit: an endless stream ends at the limit with a 'length' status and a message; the text up to
the limit is kept, shown and stored."""

from __future__ import annotations

from tests.conftest import TEST_API_KEY
from tests.core.test_client import HELLO
from tests.fakes.hostile import endless_stream
from tests.fakes.server import FakeServer, completion_reply, stream_text
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.events import ContentDelta, Finished, ReasoningDelta, ToolCallDelta, Usage
from toki_tui.core.api.params import ChatParams
from toki_tui.core.api.reply import ReplyAccumulator
from toki_tui.core.api.reply_limit import REPLY_LIMIT_REASON, ReplyLimiter, reply_limit_message
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore


def test_the_limiter_cuts_the_crossing_delta_and_ends_the_reply() -> None:
    limiter = ReplyLimiter(10)
    assert limiter.take([ContentDelta("abcd"), Usage(1, 2, 3)]) == [ContentDelta("abcd"), Usage(1, 2, 3)]
    cut = limiter.take([ReasoningDelta("efg"), ContentDelta("hijklmn"), ContentDelta("never")])
    assert cut == [ReasoningDelta("efg"), ContentDelta("hij"), Finished(REPLY_LIMIT_REASON)]
    assert limiter.reached


def test_the_limiter_counts_tool_call_arguments_and_lets_an_exact_fit_through() -> None:
    limiter = ReplyLimiter(6)
    whole = [ToolCallDelta(0, "id", "f", '{"a":1}'[:6])]
    assert limiter.take(whole) == whole and not limiter.reached
    assert limiter.take([ToolCallDelta(0, arguments="}")]) == [Finished(REPLY_LIMIT_REASON)]


async def test_an_endless_stream_stops_at_the_limit_and_the_connection_is_closed(fake_server: FakeServer) -> None:
    fake_server.script(endless_stream("0123456789"))
    client = ChatClient(base_url=fake_server.base_url, api_key=TEST_API_KEY, max_reply_chars=1005)
    reply = ReplyAccumulator()
    try:
        async for event in client.stream_chat(model="m", messages=HELLO, params=ChatParams()):
            reply.feed(event)
    finally:
        await client.aclose()
    assert reply.content == "0123456789" * 100 + "01234"
    assert reply.finish_reason == REPLY_LIMIT_REASON


async def test_a_non_streamed_reply_over_the_limit_is_cut_too(fake_server: FakeServer) -> None:
    fake_server.script(completion_reply("x" * 50))
    client = ChatClient(base_url=fake_server.base_url, api_key=TEST_API_KEY, max_reply_chars=20)
    reply = ReplyAccumulator()
    try:
        async for event in client.stream_chat(model="m", messages=HELLO, params=ChatParams(stream=False)):
            reply.feed(event)
    finally:
        await client.aclose()
    assert reply.content == "x" * 20 and reply.finish_reason == REPLY_LIMIT_REASON


async def test_the_session_stores_the_partial_reply_as_length_with_the_reason(
    fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(endless_stream("abc "), stream_text("short and complete"))
    client = ChatClient(base_url=fake_server.base_url, api_key=TEST_API_KEY, max_reply_chars=400)
    session = ChatSession(client=client, store=store, endpoint_name="toki", model="m", params=ChatParams())
    try:
        async for _ in session.send("go on forever"):
            pass
        assert session.last_run.reply_status == "length"
        assert session.reply_note == reply_limit_message(400)
        assert "stopped at toki's reply limit of 400 characters" in session.reply_note
        assert session.conversation_id is not None
        stored = store.branch(session.conversation_id)[-1]
        assert stored.status == "length" and stored.content == ("abc " * 100)
        assert stored.error == session.reply_note
        async for _ in session.send("and now?"):
            pass
        assert session.last_run.reply_status == "complete" and session.reply_note is None
    finally:
        await client.aclose()


def test_the_default_message_names_the_limit() -> None:
    assert reply_limit_message().startswith("stopped at toki's reply limit of 4 M characters;")


def test_a_long_reply_is_kept_in_blocks_not_one_string_per_token() -> None:
    reply = ReplyAccumulator()
    tokens = [f"t{i} " for i in range(1000)]
    for token in tokens:
        reply.feed(ContentDelta(token))
    buffer = reply.choices[0].content_parts
    assert reply.content == "".join(tokens)
    assert len(buffer._blocks) == 3 and len(buffer._loose) == 1000 - 3 * 256
