"""SSEDecoder against the openai SDK's decoder (`openai._streaming.SSEDecoder`, openai 3.57.0).

Where WHATWG and the SDK agree, both must yield the same events for any chunking. Where they differ
(docs/protocol.md §3.4), each difference is asserted explicitly on both sides, so a change in either shows up here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toki_tui.core.api.sse import EventTooLargeError, SSEDecoder

openai_streaming = pytest.importorskip("openai._streaming")

Event = tuple[str | None, str, str | None, int | None]  # (event, data, id, retry)


def sdk_events(chunks: Iterable[bytes]) -> list[Event]:
    decoder = openai_streaming.SSEDecoder()
    return [(event.event, event.data, event.id, event.retry) for event in decoder.iter_bytes(iter(chunks))]


def our_events(chunks: Iterable[bytes]) -> list[Event]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    events += decoder.close()
    return [(event.event, event.data, event.id, event.retry) for event in events]


def chunkings_of(body: bytes) -> list[list[bytes]]:
    """The whole body, 1-byte chunks, and every two-way split."""
    return [
        [body],
        [body[i : i + 1] for i in range(len(body))],
        *([body[:cut], body[cut:]] for cut in range(len(body) + 1)),
    ]


AGREEMENT_VECTORS = {
    "unterminated event at EOF": b"data: x\n",
    "unterminated line at EOF": b"data: x",
    "two spaces keep one": b"data:  x\n\n",
    "no space": b"data:x\n\n",
    "multi-line data": b"data: a\ndata: b\n\n",
    "multi-line with empty data lines": b"data: a\ndata:\ndata\ndata: b\n\n",
    "CR endings": b"data: x\r\rdata: y\r\r",
    "CRLF endings": b"data: x\r\n\r\ndata: y\r\n\r\n",
    "LF CR is a blank line": b"data: x\n\rdata: y\n\r",
    "mixed endings, unfinished tail": b"data: a\r\ndata: b\r\rdata: c\n\r\ndata: d\r\n\ndata: tail",
    "raw U+2028 in JSON": 'data: {"c":"a\u2028b\u2029c\u0085"}\n\n'.encode(),
    "multi-byte UTF-8": "data: 日本語 🙂\n\n".encode(),
    "escaped newlines in JSON": b'data: {"c":"a\\n\\nb"}\n\n',
    "comments between and inside": b": OPENROUTER PROCESSING\n\ndata: a\n: inside\ndata: b\n\n",
    "DONE is just data": b"data: [DONE]\n\ndata: [DONE]trailing\n\n",
    "event type, last wins": b"event: a\nevent: b\ndata: 1\n\ndata: 2\n\n",
    "id carries over": b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
    "id with NUL ignored": b"id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\n",
    "retry digits": b"retry: 3000\ndata: a\n\ndata: b\n\n",
    "retry invalid": b"retry: soon\ndata: a\n\n",
    "unknown fields": b"foo: bar\nfoo\nDATA: x\ndata: y\n\n",
    "typical chat stream": (
        b'data: {"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'
        b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
        b'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n"
    ),
}


@pytest.mark.parametrize("body", AGREEMENT_VECTORS.values(), ids=AGREEMENT_VECTORS.keys())
def test_agrees_with_the_sdk_for_every_chunking(body: bytes) -> None:
    expected = sdk_events([body])
    for chunks in chunkings_of(body):
        assert our_events(chunks) == expected == sdk_events(chunks), chunks


# The §3.4 divergences: what the SDK does, and what we do instead.


def test_divergence_bom_sdk_drops_the_event_we_strip_the_bom() -> None:
    body = b"\xef\xbb\xbfdata: x\n\n"
    assert sdk_events([body]) == []  # its first field name is "\ufeffdata"
    assert our_events([body]) == [(None, "x", None, None)]


def test_divergence_bare_data_line_sdk_dispatches_empty_data_we_do_not() -> None:
    assert sdk_events([b"data\n\n"]) == [(None, "", None, None)]
    assert sdk_events([b"data:\n\n"]) == [(None, "", None, None)]
    assert our_events([b"data\n\n"]) == []
    assert our_events([b"data:\n\n"]) == []


def test_divergence_event_without_data_sdk_dispatches_we_do_not() -> None:
    assert sdk_events([b"event: ping\n\n"]) == [("ping", "", None, None)]
    assert our_events([b"event: ping\n\n"]) == []


@pytest.mark.parametrize(
    "body", [b"id: 1\ndata: x\n\n: keep-alive\n\n", b"id: 1\ndata: x\n\n\n"], ids=["keep-alive", "extra blank"]
)
def test_divergence_sticky_id_sdk_redispatches_empty_events_we_do_not(body: bytes) -> None:
    assert sdk_events([body]) == [(None, "x", "1", None), (None, "", "1", None)]
    assert our_events([body]) == [(None, "x", "1", None)]


def test_divergence_retry_only_block_sdk_dispatches_we_carry_it_to_the_next_event() -> None:
    body = b"retry: 5\n\ndata: x\n\n"
    assert sdk_events([body]) == [(None, "", None, 5), (None, "x", None, None)]
    assert our_events([body]) == [(None, "x", None, 5)]


@pytest.mark.parametrize(("value", "sdk_retry"), [(b"-1", -1), (b"+5", 5), (b"1_000", 1000)])
def test_divergence_retry_sdk_uses_int_we_accept_ascii_digits_only(value: bytes, sdk_retry: int) -> None:
    body = b"retry: " + value + b"\ndata: x\n\n"
    assert sdk_events([body]) == [(None, "x", None, sdk_retry)]
    assert our_events([body]) == [(None, "x", None, None)]


def test_divergence_empty_id_sdk_keeps_empty_string_we_clear_it() -> None:
    body = b"id: 1\ndata: a\n\nid\ndata: b\n\n"
    assert sdk_events([body]) == [(None, "a", "1", None), (None, "b", "", None)]
    assert our_events([body]) == [(None, "a", "1", None), (None, "b", None, None)]


def test_divergence_invalid_utf8_sdk_raises_we_replace() -> None:
    with pytest.raises(UnicodeDecodeError):
        sdk_events([b"data: \xff\n\n"])
    assert our_events([b"data: \xff\n\n"]) == [(None, "\ufffd", None, None)]


def test_divergence_error_field_sdk_ignores_it_we_make_an_error_event() -> None:
    body = b'error: {"message":"KV cache is full"}\n\ndata: [DONE]\n\n'
    assert sdk_events([body]) == [(None, "[DONE]", None, None)]  # the failure would pass for a clean end
    assert our_events([body]) == [("error", '{"message":"KV cache is full"}', None, None), (None, "[DONE]", None, None)]


def test_divergence_size_limit_sdk_has_none_we_raise() -> None:
    body = b"data: " + b"x" * 4096 + b"\n\n"
    assert [len(data) for _, data, _, _ in sdk_events([body])] == [4096]
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event_bytes=1024).feed(body)


# Property: on generated streams inside the agreement zone, both decoders agree for any chunking.

_value = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
        st.sampled_from("\u2028\u2029\u0085:é🙂"),
    ),
    max_size=10,
)
# Lines that stay inside the agreement zone: no BOM at the start, no block without data, no empty id, no retry.
_field_line = st.one_of(
    st.builds(lambda value: f"data: {value}", _value),
    st.builds(lambda value: f"data:{value}", _value.filter(lambda text: not text.startswith(" "))),
    st.builds(lambda value: f"event: {value}", _value),
    st.builds(lambda value: f"id: {value}", _value.filter(lambda text: bool(text) and "\0" not in text)),
    st.builds(lambda value: f": {value}", _value),
)
_event_block = st.lists(_field_line, max_size=4).map(lambda lines: [*lines, "data: end"])


@st.composite
def agreeing_streams(draw: st.DrawFn) -> bytes:
    lines = [line for block in draw(st.lists(_event_block, max_size=4)) for line in [*block, ""]]
    lines += draw(st.lists(_field_line, max_size=2))  # an unfinished event at EOF is dropped by both
    body = b""
    previous_ending = b""
    for line in lines:
        choices = [b"\n", b"\r", b"\r\n"]
        if previous_ending == b"\r" and not line:
            choices = [b"\r", b"\r\n"]  # keep the blank line: a lone LF after a CR would merge with it
        previous_ending = draw(st.sampled_from(choices))
        body += line.encode() + previous_ending
    return body


@settings(max_examples=200, deadline=None)
@given(body=agreeing_streams(), data=st.data())
def test_property_agrees_with_the_sdk_on_any_chunking(body: bytes, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(0, len(body)), max_size=10)))
    chunks = [body[start:end] for start, end in itertools.pairwise([0, *cuts, len(body)])]
    expected = sdk_events([body])
    assert our_events([body]) == expected
    assert our_events(chunks) == expected
    assert our_events([body[i : i + 1] for i in range(len(body))]) == expected
    assert sdk_events(chunks) == expected
