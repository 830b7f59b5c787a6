"""SSEDecoder: the docs/protocol.md §6 items that belong to the decoder (1-8, 26), every chunk split, and a
hypothesis property that any chunking of a valid stream gives the events the stream was built from."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toki_tui.core.api.sse import EventTooLargeError, ServerSentEvent, SSEDecoder


def decode(chunks: Iterable[bytes], **kwargs: int) -> list[ServerSentEvent]:
    decoder = SSEDecoder(**kwargs)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def datas(chunks: Iterable[bytes]) -> list[str]:
    return [event.data for event in decode(chunks)]


def every_two_way_split(body: bytes) -> list[list[bytes]]:
    return [[body[:cut], body[cut:]] for cut in range(len(body) + 1)]


def one_byte_chunks(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


# §6.1: CR, LF and CRLF, split at any byte; "\n\r" is a blank line.

MULTI_EVENT_LINES = ["id: 7", "data: first", "", ": keep-alive", "", "event: note", "data: a", "data:b", "", ""]
MULTI_EVENT_EXPECTED = [
    ServerSentEvent("first", None, "7", None),
    ServerSentEvent("a\nb", "note", "7", None),
]


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_item1_every_split_point_of_a_multi_event_stream(ending: bytes) -> None:
    body = ending.join(line.encode() for line in MULTI_EVENT_LINES)
    assert decode([body]) == MULTI_EVENT_EXPECTED
    for chunks in every_two_way_split(body):
        assert decode(chunks) == MULTI_EVENT_EXPECTED, chunks
    assert decode(one_byte_chunks(body)) == MULTI_EVENT_EXPECTED


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_item1_every_three_way_split_of_two_events(ending: bytes) -> None:
    body = b"data: x" + ending * 2 + b"data: y" + ending * 2
    for first in range(len(body) + 1):
        for second in range(first, len(body) + 1):
            chunks = [body[:first], body[first:second], body[second:]]
            assert datas(chunks) == ["x", "y"], chunks


def test_item1_crlf_split_between_chunks_is_one_line_ending() -> None:
    # If the LF were a second line ending, "data: x\r" + "\n" would dispatch after the first blank line only.
    assert datas([b"data: x\r", b"\ndata: y\r", b"\n\r", b"\n"]) == ["x\ny"]


def test_item1_lf_cr_is_a_blank_line() -> None:
    assert datas([b"data: x\n\rdata: y\n\r"]) == ["x", "y"]
    assert datas([b"data: x\n", b"\r", b"data: y\n", b"\r"]) == ["x", "y"]


def test_item1_cr_then_non_lf_in_next_chunk_is_kept() -> None:
    assert datas([b"data: x\r", b"\r", b"data: y\r", b"\r"]) == ["x", "y"]
    assert datas([b"data: x\r", b"", b"\r"]) == ["x"]  # an empty chunk between does not lose the pairing


def test_item1_mixed_endings_with_unfinished_tail() -> None:
    body = b"data: a\r\ndata: b\r\rdata: c\n\r\ndata: d\r\n\ndata: unfinished\r\ndata: tail"
    for chunks in [[body], one_byte_chunks(body), *every_two_way_split(body)]:
        decoder = SSEDecoder()
        events = [event for chunk in chunks for event in decoder.feed(chunk)]
        assert [event.data for event in events] == ["a\nb", "c", "d"]
        assert decoder.has_partial_event
        assert decoder.close() == []
        assert decoder.has_partial_event  # close() still reports that it discarded an unfinished event


# §6.2, §6.3: the data field.


def test_item2_data_with_and_without_space_strips_exactly_one() -> None:
    assert datas([b"data: x\n\ndata:x\n\ndata:  x\n\ndata:\tx\n\n"]) == ["x", "x", " x", "\tx"]


def test_item2_colon_in_value_is_kept() -> None:
    assert datas([b'data: {"a":"b: c"}\n\n']) == ['{"a":"b: c"}']


def test_item3_multi_line_data_joined_with_lf() -> None:
    assert datas([b"data: a\ndata: b\ndata: c\n\n"]) == ["a\nb\nc"]


def test_item3_empty_data_lines_inside_multi_line_data() -> None:
    assert datas([b"data: a\ndata:\ndata\ndata: b\n\n"]) == ["a\n\n\nb"]


def test_item3_escaped_newlines_inside_json_are_not_line_endings() -> None:
    payload = b'{"content":"two\\n\\nparagraphs"}'
    assert datas([b"data: " + payload + b"\n\n"]) == [payload.decode()]


# §6.4-6.6: comments, blank lines, empty events.


def test_item4_comments_anywhere_are_ignored() -> None:
    body = b": OPENROUTER PROCESSING\n\n:keep-alive\ndata: a\n: inside an event\ndata: b\n\n: keep-alive\n\n"
    assert datas([body]) == ["a\nb"]
    assert datas(one_byte_chunks(body)) == ["a\nb"]


def test_item5_blank_lines_without_fields_dispatch_nothing() -> None:
    assert datas([b"\n\n\r\n\r\r\n"]) == []


def test_item5_sticky_id_does_not_dispatch_empty_events() -> None:
    events = decode([b"id: 1\ndata: x\n\n: keep-alive\n\n\n\nid: 2\n\n"])
    assert events == [ServerSentEvent("x", None, "1", None)]


def test_item5_id_is_kept_across_events() -> None:
    events = decode([b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"])
    assert [(event.data, event.id) for event in events] == [("a", "1"), ("b", "1"), ("c", "2")]


def test_id_with_nul_is_ignored_and_empty_id_clears() -> None:
    events = decode([b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\nid\ndata: c\n\n"])
    assert [(event.data, event.id) for event in events] == [("a", "1"), ("b", "1"), ("c", None)]


def test_item6_event_without_data_dispatches_nothing() -> None:
    assert decode([b"event: ping\n\n"]) == []
    assert decode([b"event: ping\ndata\n\n"]) == []
    assert decode([b"event: ping\ndata:\n\n"]) == []
    # ...and its event type does not leak into the next event.
    assert decode([b"event: ping\n\ndata: x\n\n"]) == [ServerSentEvent("x")]


def test_event_type_last_wins_empty_is_none_and_resets_after_dispatch() -> None:
    events = decode([b"event: a\nevent: b\ndata: 1\n\nevent:\ndata: 2\n\ndata: 3\n\n"])
    assert [(event.event, event.data) for event in events] == [("b", "1"), (None, "2"), (None, "3")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"retry: 3000", 3000),
        (b"retry:0", 0),
        (b"retry: -1", None),
        (b"retry: +5", None),
        (b"retry: 1.5", None),
        (b"retry: 1_000", None),
        (b"retry:  5", None),
        (b"retry: abc", None),
        (b"retry: \xd9\xa3", None),  # ARABIC-INDIC DIGIT THREE: int() accepts it, WHATWG does not
        (b"retry: " + b"9" * 5000, None),  # beyond int()'s digit limit: ignored, not a crash
    ],
)
def test_retry_parsed_as_ascii_digits_invalid_ignored(line: bytes, expected: int | None) -> None:
    assert decode([line + b"\ndata: x\n\n"]) == [ServerSentEvent("x", retry=expected)]


def test_retry_reaches_the_next_dispatched_event_only() -> None:
    events = decode([b"retry: 10\n\ndata: a\n\ndata: b\n\n"])
    assert [(event.data, event.retry) for event in events] == [("a", 10), ("b", None)]


def test_unknown_fields_and_field_names_without_colon_are_ignored() -> None:
    assert decode([b"foo: bar\nDATA: no\ndata : no\nERROR: no\nfoo\ndata: yes\n\n"]) == [ServerSentEvent("yes")]


def test_an_error_field_is_the_data_of_an_error_event() -> None:
    # llama.cpp's server: `error: {...}` then `data: [DONE]` (docs/protocol.md §2.7).
    body = b'data: {"a":1}\n\nerror: {"code":500,"message":"KV cache is full"}\n\ndata: [DONE]\n\nerror:x\n\n'
    expected = [
        ServerSentEvent('{"a":1}'),
        ServerSentEvent('{"code":500,"message":"KV cache is full"}', event="error"),
        ServerSentEvent("[DONE]"),
        ServerSentEvent("x", event="error"),
    ]
    assert decode([body]) == expected
    assert decode([body[i : i + 1] for i in range(len(body))]) == expected


def test_done_and_json_are_not_interpreted() -> None:
    assert datas([b"data: [DONE]\n\ndata: not json\n\n"]) == ["[DONE]", "not json"]


# §6.7, §6.8: UTF-8.


def test_item7_multibyte_character_split_across_chunks() -> None:
    body = "data: 日本語 🙂 é\n\n".encode()
    for chunks in [one_byte_chunks(body), *every_two_way_split(body)]:
        assert datas(chunks) == ["日本語 🙂 é"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c"])
def test_item7_unicode_line_separators_inside_data_stay_intact(separator: str) -> None:
    payload = '{"content":"a' + separator + 'b"}'
    body = ("data: " + payload + "\n\n").encode()
    assert datas([body]) == [payload]
    assert datas(one_byte_chunks(body)) == [payload]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert datas([b"data: a\xffb\xe2\x80\n\n"]) == ["a\ufffdb\ufffd"]


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 4])
def test_item8_leading_bom_is_stripped_even_when_split(cut: int) -> None:
    body = b"\xef\xbb\xbfdata: x\n\n"
    assert datas([body[:cut], body[cut:]]) == ["x"]
    assert datas(one_byte_chunks(body)) == ["x"]


def test_item8_only_one_bom_and_only_at_stream_start() -> None:
    # A second BOM makes the field name "\ufeffdata", which is unknown and ignored.
    assert datas([b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n"]) == ["y"]
    assert datas([b"data: x\n\n\xef\xbb\xbfdata: y\n\n"]) == ["x"]
    assert datas([b"data: \xef\xbb\xbfx\n\n"]) == ["\ufeffx"]


def test_bom_prefix_that_is_not_a_bom_is_kept() -> None:
    assert datas([b"\xef", b"data: x\n\n"]) == []  # "\ufffddata" is an unknown field
    assert datas([b"\xef\xbb", b"\n", b"data: x\n\n"]) == ["x"]


# §6.26: the size cap.


def test_item26_event_larger_than_the_limit_raises_with_the_limit_in_mib() -> None:
    decoder = SSEDecoder(max_event_bytes=1024 * 1024)
    with pytest.raises(EventTooLargeError, match=r"1 MiB"):
        decoder.feed(b"data: " + b"x" * (1024 * 1024 + 1) + b"\n\n")
    assert isinstance(EventTooLargeError(1), ValueError)


def test_item26_unfinished_line_beyond_the_limit_raises_before_its_end_arrives() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"x" * 200)
    with pytest.raises(EventTooLargeError):  # the decoder stays failed
        decoder.feed(b"\n\n")
    with pytest.raises(EventTooLargeError):
        decoder.close()


def test_item26_many_lines_add_up_to_one_event() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(EventTooLargeError):
        for _ in range(20):
            decoder.feed(b"data: 0123456789\n")


def test_item26_limit_counts_utf8_bytes_not_characters() -> None:
    assert datas_with_limit("é" * 50, limit=100) == ["é" * 50]
    with pytest.raises(EventTooLargeError):
        datas_with_limit("é" * 51, limit=100)


def datas_with_limit(data: str, limit: int) -> list[str]:
    return [event.data for event in decode([f"data: {data}\n\n".encode()], max_event_bytes=limit)]


def test_item26_events_before_the_oversized_one_are_delivered_first() -> None:
    decoder = SSEDecoder(max_event_bytes=50)
    assert [event.data for event in decoder.feed(b"data: ok\n\ndata: " + b"x" * 100)] == ["ok"]
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"\n\n")


def test_item26_default_limit_is_16_mib_and_allows_a_large_event() -> None:
    payload = b"x" * (8 * 1024 * 1024)
    decoder = SSEDecoder()
    events = [
        event for piece in range(0, len(payload), 65536) for event in decoder.feed(payload[piece : piece + 65536])
    ]
    assert events == []
    assert decoder.feed(b"\n\n") == []  # the line never started with "data:", so it was an unknown field
    big = decode([b"data: ", payload, b"\n\n"])
    assert len(big) == 1 and len(big[0].data) == len(payload)
    with pytest.raises(EventTooLargeError, match="16 MiB"):
        SSEDecoder().feed(b"data: " + b"x" * (16 * 1024 * 1024 + 1))


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SSEDecoder(max_event_bytes=0)


# Truncation detection and lifecycle.


@pytest.mark.parametrize(
    ("body", "partial"),
    [
        (b"", False),
        (b"data: x\n\n", False),
        (b": comment\n", False),
        (b"data: x\n\n: comment", True),
        (b"data: x", True),
        (b"data: x\n", True),
        (b"event: ping\n", True),
        (b"data: x\r", True),
        (b"data: x\n\r", False),
        (b"\xef\xbb", True),
    ],
)
def test_has_partial_event(body: bytes, partial: bool) -> None:
    decoder = SSEDecoder()
    decoder.feed(body)
    assert decoder.has_partial_event is partial
    assert decoder.close() == []
    assert decoder.has_partial_event is partial


def test_feed_after_close_raises_and_close_is_idempotent() -> None:
    decoder = SSEDecoder()
    assert decoder.close() == []
    assert decoder.close() == []
    with pytest.raises(RuntimeError):
        decoder.feed(b"data: x\n\n")


def test_events_are_frozen_values() -> None:
    event = decode([b"event: e\nid: i\nretry: 5\ndata: d\n\n"])[0]
    assert event == ServerSentEvent(data="d", event="e", id="i", retry=5)
    assert hash(event) == hash(ServerSentEvent(data="d", event="e", id="i", retry=5))
    with pytest.raises(AttributeError):
        event.data = "changed"  # type: ignore[misc]


# Property: any chunking of a valid stream yields the events it was built from.

_line_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
        st.sampled_from("\u2028\u2029\u0085\ufeff:é日🙂"),
    ),
    max_size=12,
)
_event_parts = st.tuples(
    st.lists(_line_text, min_size=1, max_size=3).filter(lambda lines: "\n".join(lines) != ""),
    st.none() | _line_text.filter(bool),  # event type
    st.none() | _line_text.filter(lambda value: bool(value) and "\0" not in value),  # id
    st.booleans(),  # a comment inside the event
    st.booleans(),  # a keep-alive block (comment + blank line) after the event
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """An encoded stream with random line endings, plus the events a WHATWG decoder must yield for it."""
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    for data_lines, event_type, event_id, inner_comment, keep_alive in draw(st.lists(_event_parts, max_size=5)):
        if event_id is not None:
            lines.append(f"id: {event_id}")
            last_id = event_id
        if event_type is not None:
            lines.append(f"event: {event_type}")
        for value in data_lines:
            with_space = value.startswith(" ") or draw(st.booleans())
            lines.append(f"data: {value}" if with_space else f"data:{value}")
            if inner_comment:
                lines.append(": inside")
        lines.append("")
        if keep_alive:
            lines += [": keep-alive", ""]
        expected.append(ServerSentEvent("\n".join(data_lines), event_type, last_id, None))
    body = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    previous_ending = b""
    for line in lines:
        choices = [b"\n", b"\r", b"\r\n"]
        if previous_ending == b"\r" and not line:
            choices = [b"\r", b"\r\n"]  # a lone LF right after a CR would merge with it into one CRLF
        previous_ending = draw(st.sampled_from(choices))
        body += line.encode() + previous_ending
    return body, expected


@st.composite
def chunkings(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = sorted(draw(st.sets(st.integers(0, len(body)), max_size=12)))
    bounds = [0, *cuts, len(body)]
    return [body[start:end] for start, end in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None)
@given(stream=streams(), data=st.data())
def test_property_any_chunking_yields_the_same_events(
    stream: tuple[bytes, list[ServerSentEvent]], data: st.DataObject
) -> None:
    body, expected = stream
    assert decode([body]) == expected
    assert decode(one_byte_chunks(body)) == expected
    assert decode(data.draw(chunkings(body))) == expected
