"""Turns a `Reply` into bytes on a `Connection`: status line, headers, framed body parts, and the ending."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Literal

from tests.fakes.http11 import Connection
from tests.fakes.replies import Part, Reply

Outcome = Literal["completed", "server_closed"]


@dataclass
class SendProgress:
    """Body bytes written so far (before chunk framing); read after ClientGone to know how far we got."""

    body_bytes: int = 0


def reason_phrase(reply: Reply) -> str:
    if reply.reason is not None:
        return reply.reason
    try:
        return HTTPStatus(reply.status).phrase
    except ValueError:
        return "Unknown"


def encode_head(reply: Reply, *, request_id: str, keep_alive: bool) -> bytes:
    defaults: list[tuple[str, str]] = [
        ("Date", formatdate(time.time(), usegmt=True)),
        ("Server", "toki-fake"),
        ("x-request-id", request_id),
    ]
    if reply.content_type is not None:
        defaults.append(("Content-Type", reply.content_type))
    if reply.framing == "chunked":
        defaults.append(("Transfer-Encoding", "chunked"))
    elif reply.framing == "length":
        declared = reply.declared_length if reply.declared_length is not None else len(reply.body)
        defaults.append(("Content-Length", str(declared)))
    if reply.content_type is not None and reply.content_type.startswith("text/event-stream"):
        defaults.append(("Cache-Control", "no-cache"))
    defaults.append(("Connection", "keep-alive" if keep_alive else "close"))
    overridden = {name.lower() for name, _ in reply.headers}
    headers = [(name, value) for name, value in defaults if name.lower() not in overridden]
    headers.extend(reply.headers)
    lines = [f"HTTP/1.1 {reply.status} {reason_phrase(reply)}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def frame(reply: Reply, data: bytes) -> bytes:
    if reply.framing != "chunked":
        return data
    if not data:
        return b""  # an empty chunk would end the body
    return b"%x\r\n%s\r\n" % (len(data), data)


def timed_frames(reply: Reply) -> list[Part]:
    """The parts to send, merged into frames of up to `frame_bytes` when the reply allows coalescing."""
    if not reply.coalesce:
        return list(reply.parts)
    frames: list[Part] = []
    pending: list[bytes] = []
    pending_delay = 0.0
    pending_size = 0
    for part in reply.parts:
        if pending and (part.delay > 0 or pending_size + len(part.data) > reply.frame_bytes):
            frames.append(Part(b"".join(pending), pending_delay))
            pending, pending_size = [], 0
        if not pending:
            pending_delay = part.delay
        pending.append(part.data)
        pending_size += len(part.data)
    if pending:
        frames.append(Part(b"".join(pending), pending_delay))
    return frames


def encode_full(reply: Reply, *, request_id: str) -> bytes:
    """The whole response as it would go on the wire (used to cut it short for `drop_connection`)."""
    body = b"".join(frame(reply, part.data) for part in reply.parts)
    terminator = b"0\r\n\r\n" if reply.framing == "chunked" else b""
    return encode_head(reply, request_id=request_id, keep_alive=False) + body + terminator


def closes_connection(reply: Reply) -> bool:
    return reply.framing == "close" or reply.ending != "complete" or reply.drop_after_bytes is not None


async def send_reply(
    connection: Connection,
    reply: Reply,
    *,
    request_id: str,
    keep_alive: bool,
    progress: SendProgress,
    before_last_write: Callable[[], None] = lambda: None,
) -> Outcome:
    """Write `reply`. Returns how it ended; raises ClientGone if the client left first. The caller closes
    the connection when `closes_connection(reply)` or the request asked for it.

    For a complete reply `before_last_write` runs just before the final bytes go out, so whatever it records
    is visible to a client that has just read the end of the body (no race in tests).
    """
    await connection.sleep(reply.head_delay)
    if reply.drop_after_bytes is not None:
        data = encode_full(reply, request_id=request_id)[: reply.drop_after_bytes]
        if data:
            await connection.write(data)
        return "server_closed"

    head = encode_head(reply, request_id=request_id, keep_alive=keep_alive)
    # (delay, bytes on the wire, body bytes they carry)
    writes = [(part.delay, frame(reply, part.data), len(part.data)) for part in timed_frames(reply)]
    if reply.ending == "complete" and reply.framing == "chunked":
        writes.append((0.0, b"0\r\n\r\n", 0))
    complete = reply.ending == "complete"
    if complete and not writes:
        before_last_write()
    await connection.write(head)
    started, due = time.monotonic(), 0.0
    for number, (delay, data, body_size) in enumerate(writes):
        if reply.paced:  # on a schedule from when the head was written: waits that overshoot do not add up
            due += delay
            await connection.sleep(started + due - time.monotonic())
        else:
            await connection.sleep(delay)
        if complete and number == len(writes) - 1:
            before_last_write()
        await connection.write(data)
        progress.body_bytes += body_size
    if complete:
        return "completed"
    if reply.ending == "hang":
        await connection.sleep(reply.hang_seconds)
        return "server_closed"
    if reply.ending == "keepalive":
        deadline = None if reply.keepalive_limit is None else time.monotonic() + reply.keepalive_limit
        while deadline is None or time.monotonic() < deadline:
            await connection.write(frame(reply, reply.keepalive_comment))
            progress.body_bytes += len(reply.keepalive_comment)
            await connection.sleep(reply.keepalive_interval)
        return "server_closed"
    # "abrupt_close": the caller closes the socket (after flushing) without the terminating chunk.
    return "server_closed"
