"""A chat response's body read into batches of typed events, whether the server streamed it (SSE) or not (JSON).

The body decides, not the Content-Type: servers answer stream:true with JSON (errors, busy pages) and stream:false
with SSE (docs/protocol.md §6.18). Each network read gives one batch. An idle watchdog that only content resets
bounds the wait for the next read (`idle`), and the whole reply (`total`). Every failure is a StreamError or an
APITimeoutError raised after the events that arrived before it, so the caller keeps the partial reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from toki_tui.core.api.body_limits import format_size, iter_body
from toki_tui.core.api.chunks import ChunkParser, error_from_payload, excerpt
from toki_tui.core.api.events import ResponseStarted, StreamEvent, Usage
from toki_tui.core.api.http_errors import describe_exception, summarise_non_json
from toki_tui.core.api.idle_watchdog import IdleWatchdog
from toki_tui.core.api.json_limits import JSONTooDeepError, loads
from toki_tui.core.api.sse import EventTooLargeError, SSEDecoder
from toki_tui.core.errors import APITimeoutError, StreamError
from toki_tui.core.pricing import reported_charge

AFTER_FINISH_GRACE = 5.0
"""Seconds of silence after a finish reason and a chunk without content (ChunkParser.settled) before a body that
never ends is taken as ended (some gateways keep the response open after the last chunk; docs/protocol.md §6.29).
Usage and [DONE] follow the finish at once."""
MAX_JSON_REPLY_BYTES = 32 * 1024 * 1024
"""A non-streamed reply, decompressed: a reply at toki's 4 M character limit, with every character escaped as
\\uXXXX (6 bytes), plus room for the JSON around it; more can only be cut off anyway."""

_BROKEN_STREAM_ADVICE = (
    "; the partial reply is kept. Retry; if it happens again, the server (or a proxy between) sends a broken stream"
)


async def read_reply(response: httpx.Response, *, idle: float, total: float | None) -> AsyncIterator[list[StreamEvent]]:
    """The events of a chat response whose status was a success, from ResponseStarted to the end of the reply."""
    yield [ResponseStarted(response.status_code, response.headers.get("x-request-id"))]
    # Events and text are capped by the SSE decoder and the ReplyLimiter, a JSON reply by _read_json.
    body = iter_body(response, limit=None, what="", advice="")
    reads = _BodyReads(body.__aiter__(), IdleWatchdog(idle, total), idle, total)
    try:
        first = await reads.next()
        # Skip the blank lines DeepSeek sends while a non-stream reply is being prepared (docs/protocol.md §6.21).
        while first is not None and not first.strip():
            first = await reads.next()
        if first is None:
            raise StreamError("the server answered with an empty body instead of a reply")
        # A read can be a few bytes: read on until the body's start tells its kind (or the body ends).
        while _undecided(first.lstrip()) and (more := await reads.next()) is not None:
            first += more
        # An SSE body never starts with "{" or "[" (json.loads reads bytes behind a UTF-8 BOM too).
        start = first.lstrip().removeprefix(_UTF8_BOM)
        if start[:1] in (b"{", b"["):
            reader = _read_json
        elif start.startswith(_SSE_LINE_STARTS):
            reader = _read_sse
        else:
            raise await _not_a_reply(response, first, reads)
        async for batch in reader(first, reads):
            if reader is _read_json:
                batch = with_header_charge(batch, response.headers.get(CHARGE_HEADER))
            yield batch
    finally:
        reads.watchdog.cancel()
        await body.aclose()


CHARGE_HEADER = "x-litellm-response-cost"
"""The response header in which LiteLLM's proxy reports what a non-streamed reply was charged (a decimal number). A
streamed response's headers leave before its cost is known, so there it is ignored: the cost comes in `usage`."""


def with_header_charge(batch: list[StreamEvent], header: str | None) -> list[StreamEvent]:
    """A whole (non-streamed) reply's events with the charge of CHARGE_HEADER given to its usage, unless the usage
    reports one itself, or the header holds no believable charge (core/pricing.reported_charge)."""
    charge = reported_charge(header) if header is not None else None
    if charge is None:
        return batch
    usages = [event for event in batch if isinstance(event, Usage)]
    if usages and usages[-1].cost is not None:
        return batch
    counts = usages[-1].as_dict() if usages else {}
    return [event for event in batch if not isinstance(event, Usage)] + [Usage(**counts, cost=charge)]


_UTF8_BOM = b"\xef\xbb\xbf"
_SSE_LINE_STARTS = (b"data", b":", b"event", b"id", b"retry", b"error")
"""How an event stream's first line starts: a field (llama.cpp's `error:` among them) or a comment."""


def _undecided(start: bytes) -> bool:
    """Whether a body beginning with `start` (whitespace stripped) could still turn out to be an event stream."""
    if _UTF8_BOM.startswith(start):
        return True
    start = start.removeprefix(_UTF8_BOM)
    return any(prefix.startswith(start) and prefix != start for prefix in _SSE_LINE_STARTS)


_NOT_A_REPLY_EXCERPT = 64 * 1024
"""How much of a body that is neither JSON nor SSE is read to describe it (an HTML page's title is near its top)."""
_DECODED_ENCODINGS = ("", "identity", "gzip", "x-gzip", "deflate")


async def _not_a_reply(response: httpx.Response, first: bytes, reads: _BodyReads) -> StreamError:
    """The error for a 200 whose body is neither JSON nor an event stream: a web page (the base URL points at a
    web app or a proxy's login page), a plain-text banner ("Ollama is running"), or a body in an encoding toki
    did not ask for (docs/protocol.md §6.18)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if any(name.strip() not in _DECODED_ENCODINGS for name in encoding.split(",")):
        return StreamError(
            f"the server compressed its reply as {excerpt(encoding, 40)}, which toki did not ask for and cannot "
            "read (it asks for gzip or deflate only)"
        )
    body = first
    # Read on only while the page's title may still come; a body that then goes quiet is described as it is.
    with contextlib.suppress(APITimeoutError, StreamError):
        while len(body) < _NOT_A_REPLY_EXCERPT and b"</title>" not in body.lower():
            more = await reads.next()
            if more is None:
                break
            body += more
    summary = summarise_non_json(
        body[:_NOT_A_REPLY_EXCERPT], response.headers.get("content-type", ""), page="an HTML page"
    )
    return StreamError(
        f"the server answered with neither JSON nor an event stream ({summary}); is the base URL the API's "
        "(usually ending in /v1)?"
    )


class _BodyReads:
    """The body's network reads, each waited for under the watchdog; the timeouts name the limit that passed."""

    def __init__(self, chunks: AsyncIterator[bytes], watchdog: IdleWatchdog, idle: float, total: float | None) -> None:
        self._chunks = chunks
        self.watchdog = watchdog
        self._idle = idle
        self._total = total

    async def next(self) -> bytes | None:
        """The next read, or None at the end of the body."""
        watchdog = self.watchdog
        watchdog.reading = True
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            return None
        except asyncio.CancelledError:
            if watchdog.absorb_cancellation():
                if watchdog.finished:
                    return None  # a complete reply from a server that does not end its body: ended here
                if watchdog.fired == "total":
                    raise APITimeoutError(
                        f"the reply took longer than the {self._total:g} s limit; the partial reply is kept"
                    ) from None
                raise APITimeoutError(
                    f"the server sent no content for {self._idle:g} s; the partial reply is kept "
                    "(raise [timeouts] idle in the config for slow models)"
                ) from None
            raise
        except httpx.ReadTimeout:
            raise APITimeoutError(f"the server sent nothing for {self._idle:g} s; the partial reply is kept") from None
        except httpx.HTTPError as error:
            raise StreamError(
                f"the connection dropped mid-reply ({describe_exception(error)}); the partial reply is kept"
            ) from None
        finally:
            watchdog.reading = False


async def _read_sse(first: bytes, reads: _BodyReads) -> AsyncIterator[list[StreamEvent]]:
    decoder = SSEDecoder()
    parser = ChunkParser()
    chunk: bytes | None = first
    while chunk is not None:
        batch: list[StreamEvent] = []
        content_before = parser.content_events
        try:
            for sse in decoder.feed(chunk):
                data = sse.data
                if data.startswith("[DONE]") or data.strip() == "[DONE]":
                    batch.extend(parser.flush())
                    yield batch
                    return
                if sse.event == "error":
                    raise _event_error(data)
                try:
                    payload = loads(data)
                except JSONTooDeepError as error:
                    raise StreamError(
                        f"the server sent a stream chunk that cannot be read: {error}{_BROKEN_STREAM_ADVICE}"
                    ) from None
                except ValueError:
                    raise StreamError(
                        f"the server sent stream data that is not JSON ({excerpt(data)}){_BROKEN_STREAM_ADVICE}",
                        raw=data,
                    ) from None
                batch.extend(parser.parse_chunk(payload))
        except EventTooLargeError as error:
            yield batch
            raise StreamError(f"the stream broke: {error}") from None
        except StreamError as error:
            # What arrived before the failure (and with it, e.g. OpenRouter's last chunk) is kept.
            batch.extend(error.pending_events)
            yield batch
            raise
        if parser.content_events != content_before:
            reads.watchdog.touch()
        if parser.settled:
            reads.watchdog.reply_finished(AFTER_FINISH_GRACE)
        elif reads.watchdog.finished:
            reads.watchdog.reply_resumed()  # content after a finish: the finish was not the end
        if batch:
            yield batch
        chunk = await reads.next()
    yield parser.flush()
    if not parser.finished:
        if decoder.has_partial_event:
            raise StreamError("the stream was cut off in the middle of an event; the partial reply is kept")
        raise StreamError(
            "the stream ended before the reply was complete (no finish reason, no [DONE]); the partial reply is kept"
        )


async def _read_json(first: bytes, reads: _BodyReads) -> AsyncIterator[list[StreamEvent]]:
    parts = [first]
    size = len(first)
    while (chunk := await reads.next()) is not None:
        size += len(chunk)
        if size > MAX_JSON_REPLY_BYTES:
            raise StreamError(
                f"the server's reply is larger than {format_size(MAX_JSON_REPLY_BYTES)}; toki stopped reading it "
                "(ask for a shorter answer or set max tokens)"
            )
        parts.append(chunk)
    raw = b"".join(parts)
    try:
        body = loads(raw)
    except JSONTooDeepError as error:
        raise StreamError(f"the server sent a reply that cannot be read: {error}") from None
    except ValueError:
        raise StreamError(
            f"the server sent a reply that is not JSON: {excerpt(raw.decode('utf-8', 'replace'))}"
        ) from None
    yield ChunkParser().parse_completion(body)


def _event_error(data: str) -> StreamError:
    try:
        payload = loads(data) if data.strip() else None
    except ValueError:
        payload = data
    if isinstance(payload, dict) and "error" in payload:
        payload = payload["error"]
    return error_from_payload(payload)
