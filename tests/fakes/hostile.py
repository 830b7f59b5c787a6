"""Replies from a hostile server: compression bombs, JSON nested to crash a recursive parser, endless streams.

Each is a plain `Reply`, so the fake server plays them like any other (`server.script(...)`,
`server.script_models(...)`).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import replace
from typing import Literal

from tests.fakes.chunks import content_chunk, role_chunk, sse_event
from tests.fakes.replies import Part, Reply

Encoding = Literal["gzip", "deflate", "gzip, gzip"]


@functools.lru_cache(maxsize=8)
def _compress(prefix: bytes, filler_bytes: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [compressor.compress(prefix)]
    block = b" " * (1024 * 1024)
    remaining = filler_bytes
    while remaining > 0:
        parts.append(compressor.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def compression_bomb(
    decompressed_bytes: int,
    *,
    encoding: Encoding = "gzip",
    prefix: bytes = b'{"data": [',
    content_type: str = "application/json",
) -> Reply:
    """`prefix` then spaces, `decompressed_bytes` in all once decompressed (about 1,000 times the wire size)."""
    body = _compress(prefix, decompressed_bytes - len(prefix), zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        body = _compress(prefix, decompressed_bytes - len(prefix), zlib.MAX_WBITS)
    elif encoding == "gzip, gzip":
        body = _compress(body, 0, zlib.MAX_WBITS | 16)
    return Reply(
        content_type=content_type,
        headers=(("Content-Encoding", encoding),),
        parts=(Part(body),),
        label=f"{encoding} bomb of {decompressed_bytes} bytes",
    )


def deeply_nested(depth: int, *, inner: str = "0") -> bytes:
    """A JSON array nested `depth` levels deep."""
    return b"[" * depth + inner.encode() + b"]" * depth


def deep_json_stream(depth: int) -> Reply:
    """A stream whose second chunk is JSON nested `depth` levels deep (after one line of real text)."""
    events = [sse_event(role_chunk()), sse_event(content_chunk("Before the bomb. ")), b"data: " + deeply_nested(depth)]
    return Reply(
        content_type="text/event-stream",
        framing="chunked",
        parts=tuple(Part(event) for event in [*events[:2], events[2] + b"\n\n"]),
        label=f"stream with JSON {depth} deep",
    )


def endless_stream(text: str = "all work and no play ", *, interval: float = 0.0) -> Reply:
    """A 200 stream of content chunks that never ends (until the client leaves)."""
    return Reply(
        content_type="text/event-stream",
        framing="chunked",
        parts=(Part(sse_event(role_chunk())),),
        ending="keepalive",
        keepalive_interval=interval,
        keepalive_comment=sse_event(content_chunk(text)),
        label="endless stream",
    )


def gzipped(reply: Reply, *, encoding: Literal["gzip", "deflate"] = "gzip", piece: int = 7) -> Reply:
    """`reply` with its body compressed, sent in frames of `piece` compressed bytes (so the client decompresses
    across many small reads)."""
    wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
    body = _compress(reply.body, 0, wbits)
    parts = tuple(Part(body[start : start + piece]) for start in range(0, len(body), piece))
    headers = (*reply.headers, ("Content-Encoding", encoding))
    return replace(reply, parts=parts, headers=headers, coalesce=False, label=f"{encoding} {reply.label}")
