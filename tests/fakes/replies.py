"""`Reply`: a byte-exact description of how the fake server answers one request, and the simple builders.

A reply is data, not code: the status line and headers, the body as timed parts, how the body is framed
(Content-Length, chunked, or delimited by closing the socket) and how the reply ends (cleanly, by closing the
socket mid-body, by hanging, or by an endless run of keep-alive comments). `responder.py` turns it into bytes.
Streaming builders live in `streams.py`, `/models` builders in `models.py`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.utils import formatdate
from time import time
from typing import Any, Literal

from tests.fakes.chunks import content_chunk, dumps, openai_error_body, role_chunk, sse_comment, sse_event
from tests.fakes.recording import RecordedRequest

Framing = Literal["length", "chunked", "close"]
Ending = Literal["complete", "abrupt_close", "hang", "keepalive"]
HeaderItems = Mapping[str, str] | Sequence[tuple[str, str]] | None


@dataclass(frozen=True, slots=True)
class Part:
    """Body bytes sent after waiting `delay` seconds. With chunked framing each part is one chunk frame,
    which h11 (httpx) hands to `aiter_bytes()` as its own piece, so splits are reproducible."""

    data: bytes
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Reply:
    status: int = 200
    reason: str | None = None
    content_type: str | None = "application/json"
    # Extra headers, in order, case kept; duplicates allowed. A header named here replaces the default one.
    headers: tuple[tuple[str, str], ...] = ()
    parts: tuple[Part, ...] = ()
    framing: Framing = "length"
    # Declared Content-Length when it must lie (larger than the body → the client sees an incomplete read).
    declared_length: int | None = None
    # Merge runs of zero-delay parts into frames of up to `frame_bytes` (the cheap path for benchmarks).
    coalesce: bool = False
    frame_bytes: int = 16384
    ending: Ending = "complete"
    # Count each part's delay from when the head was written rather than from the previous part: a steady rate
    # however much the waits overshoot (the benchmarks' token rate).
    paced: bool = False
    # Seconds before the status line is sent (the client waits for a response head meanwhile).
    head_delay: float = 0.0
    hang_seconds: float = 0.0
    keepalive_interval: float = 1.0
    keepalive_comment: bytes = b": keep-alive\n\n"
    # Stop the keep-alive run (and close the socket) after this many seconds; None = until the client leaves.
    keepalive_limit: float | None = None
    # Write only the first N bytes of the whole encoded response (head included), then close the socket.
    drop_after_bytes: int | None = None
    # When set, the server calls it with the request and sends the Reply it returns instead.
    resolver: Callable[[RecordedRequest], Reply] | None = None
    label: str = ""

    def resolve(self, request: RecordedRequest) -> Reply:
        reply = self
        while reply.resolver is not None:
            reply = reply.resolver(request)
        return reply

    @property
    def body(self) -> bytes:
        return b"".join(part.data for part in self.parts)


def header_items(headers: HeaderItems) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return tuple((str(name), str(value)) for name, value in headers.items())
    return tuple((str(name), str(value)) for name, value in headers)


def encode_body(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    # A lone surrogate in a JSON body goes out as its `\\ud800` escape, as a server's JSON encoder writes it.
    return dumps(body).encode("utf-8", "backslashreplace")


def dynamic(resolver: Callable[[RecordedRequest], Reply], *, label: str = "dynamic") -> Reply:
    """A reply chosen per request (e.g. stream or JSON depending on the request's `stream` flag)."""
    return Reply(resolver=resolver, label=label)


def cycle(*replies: Reply, label: str = "cycle") -> Reply:
    """A reply that plays `replies` in turn, forever (request 1 gets the first, request N+1 the first again)."""
    if not replies:
        raise ValueError("cycle() needs at least one reply")
    upcoming = itertools.cycle(replies)
    lock = threading.Lock()

    def pick(request: RecordedRequest) -> Reply:
        with lock:
            return next(upcoming)

    return dynamic(pick, label=label)


def json_reply(
    body: Any,
    status: int = 200,
    headers: HeaderItems = None,
    content_type: str = "application/json",
    leading_whitespace: str = "",
    *,
    leading_delay: float = 0.0,
    framing: Framing = "length",
) -> Reply:
    """A JSON (or any) body with Content-Length.

    `leading_whitespace` imitates DeepSeek's keep-alive blank lines before a non-stream body (§6.21); with
    `leading_delay` the whitespace is sent first and the JSON only after that many seconds.
    """
    parts: list[Part] = []
    if leading_whitespace:
        parts.append(Part(leading_whitespace.encode()))
    parts.append(Part(encode_body(body), delay=leading_delay))
    return Reply(
        status=status,
        content_type=content_type,
        headers=header_items(headers),
        parts=tuple(parts),
        framing=framing,
        label=f"json {status}",
    )


def error_reply(
    status: int,
    body: Mapping[str, Any] | list[Any] | str | bytes,
    headers: HeaderItems = None,
    content_type: str | None = None,
) -> Reply:
    """An error response. A dict/list body is JSON; text starting with `<` is served as HTML, other text as
    plain text (a CDN or proxy page, §6.19). Use `openai_error_body()` for the `{"error": {...}}` wrapper."""
    if content_type is None:
        if isinstance(body, Mapping | list):
            content_type = "application/json"
        else:
            text = body.decode(errors="replace") if isinstance(body, bytes) else body
            content_type = "text/html; charset=utf-8" if text.lstrip().startswith("<") else "text/plain"
    reply = json_reply(body, status=status, headers=headers, content_type=content_type)
    return replace(reply, label=f"error {status}")


def openai_error_reply(
    status: int,
    message: str,
    *,
    type: str | None = "invalid_request_error",
    code: str | int | None = None,
    headers: HeaderItems = None,
) -> Reply:
    return error_reply(status, openai_error_body(message, type=type, code=code), headers=headers)


def http_date(seconds_from_now: float) -> str:
    """An IMF-fixdate such as a `Retry-After` header may carry."""
    return formatdate(time() + seconds_from_now, usegmt=True)


def rate_limit_reply(
    *,
    retry_after: float | int | str | None = None,
    retry_after_ms: float | int | None = None,
    message: str = "You have exceeded your rate limit. Please retry after 30 seconds.",
    status: int = 429,
    code: str | int = "rate_limit_exceeded",
) -> Reply:
    """TOKI's documented 429 (no `type` in the body, §1.3) with any form of Retry-After (§6.20).

    `retry_after` is sent verbatim: an int, a float such as 0.25, or an HTTP date from `http_date()`.
    """
    headers: list[tuple[str, str]] = []
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    if retry_after_ms is not None:
        headers.append(("retry-after-ms", str(retry_after_ms)))
    return error_reply(status, {"error": {"code": code, "message": message}}, headers=headers)


def html_error_page(status: int = 502, title: str = "Bad Gateway") -> str:
    """The kind of page a CDN or proxy returns instead of JSON."""
    return (
        "<!DOCTYPE html>\n<html>\n<head><title>"
        f"{status} {title}</title></head>\n<body>\n<center><h1>{status} {title}</h1></center>\n"
        "<hr><center>nginx</center>\n</body>\n</html>\n"
    )


def raw_stream(
    parts: Sequence[bytes] | bytes,
    *,
    delays: float | Sequence[float] = 0.0,
    content_type: str | None = "text/event-stream",
    close_abruptly: bool = False,
    status: int = 200,
    headers: HeaderItems = None,
    framing: Framing = "chunked",
) -> Reply:
    """Arbitrary body bytes, one chunk frame per part, never merged: for every framing fault.

    `delays` is the wait before each part (one number for all, or one per part). `close_abruptly` closes the
    socket without the terminating zero-length chunk, so httpx raises RemoteProtocolError.
    """
    items = [parts] if isinstance(parts, bytes) else list(parts)
    waits = [float(delays)] * len(items) if isinstance(delays, int | float) else [float(d) for d in delays]
    if len(waits) != len(items):
        raise ValueError(f"raw_stream: {len(items)} parts but {len(waits)} delays")
    return Reply(
        status=status,
        content_type=content_type,
        headers=header_items(headers),
        parts=tuple(Part(data, delay) for data, delay in zip(items, waits, strict=True)),
        framing=framing,
        ending="abrupt_close" if close_abruptly else "complete",
        label="raw stream",
    )


def _default_drop_template() -> Reply:
    return raw_stream([sse_event(role_chunk()), sse_event(content_chunk("Hello")), sse_event(content_chunk(" world"))])


def drop_connection(after_bytes: int = 0, *, template: Reply | None = None, delay: float = 0.0) -> Reply:
    """Close the socket after writing the first `after_bytes` bytes of `template`'s full encoding, head
    included (0 = close without answering: httpx raises RemoteProtocolError "Server disconnected")."""
    base = template or _default_drop_template()
    return replace(base, drop_after_bytes=after_bytes, head_delay=delay, label=f"drop after {after_bytes} bytes")


def hang(seconds: float, *, headers_first: bool = False) -> Reply:
    """Send nothing for `seconds`, then close the socket.

    By default not even the status line is sent (a read timeout while waiting for the response head); with
    `headers_first` the 200 event-stream head goes out first and then the body stays silent.
    """
    if headers_first:
        return Reply(
            content_type="text/event-stream",
            framing="chunked",
            ending="hang",
            hang_seconds=seconds,
            label=f"hang {seconds}s after head",
        )
    return Reply(head_delay=seconds, drop_after_bytes=0, label=f"hang {seconds}s")


def keepalive_forever(interval: float = 0.5, *, comment: str = "keep-alive", limit: float | None = None) -> Reply:
    """A 200 event stream that only ever sends `: keep-alive` comments (§6.21), until the client leaves
    (or for `limit` seconds, then the socket is closed)."""
    return Reply(
        content_type="text/event-stream",
        framing="chunked",
        ending="keepalive",
        keepalive_interval=interval,
        keepalive_comment=sse_comment(comment),
        keepalive_limit=limit,
        label="keep-alive forever",
    )
