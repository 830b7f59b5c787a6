"""Read a response body with a cap on its decompressed size, decompressing it ourselves in bounded pieces.

httpx decompresses each network read in one go (`aiter_bytes()`), and `.content` reads the whole body: a 2 MB
gzip "bomb" from a hostile server inflates to gigabytes. Here the raw bytes (`aiter_raw()`, the same for httpx's
transport and toki's direct transport) go through zlib with `max_length`, so no single step produces more than
PIECE_BYTES, and reading stops as soon as the decompressed total passes the caller's limit.

The client asks only for gzip and deflate (ACCEPT_ENCODING); a body in any other encoding is passed through
undecoded, as httpx does for encodings it cannot decode, and then fails as "not JSON" where JSON is expected.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING

from toki_tui.core.errors import APIError

if TYPE_CHECKING:
    import httpx

ACCEPT_ENCODING = "gzip, deflate"
PIECE_BYTES = 64 * 1024
"""The most one decompression step may produce: the size of one network read, so a compressed body costs no
more memory per step than an uncompressed one."""
_MAX_ENCODING_LAYERS = 2
"""`Content-Encoding: gzip, gzip` is legal; more layers than this is no real server's doing."""
_MIB = 1024 * 1024


class BodyTooLargeError(APIError):
    """The body (decompressed) passed the limit; toki stopped reading it."""

    def __init__(self, what: str, limit: int, advice: str) -> None:
        self.limit = limit
        super().__init__(f"{what} is larger than {format_size(limit)}; toki stopped reading it ({advice})")


def format_size(size: int) -> str:
    """A limit in the units the messages use: "16 MB", "256 KB"."""
    if size >= _MIB and size % _MIB == 0:
        return f"{size // _MIB} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


class _Inflater:
    """One gzip/deflate layer, producing at most PIECE_BYTES per step however well the input compresses."""

    __slots__ = ("_decompressor", "_first", "_raw_fallback")

    def __init__(self, encoding: str) -> None:
        gzip = encoding in ("gzip", "x-gzip")
        self._decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        # "deflate" should be zlib-wrapped, but some servers send raw deflate (httpx accepts both too).
        self._raw_fallback = not gzip
        self._first = True

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and data:
            self._first = False
            if self._raw_fallback:
                try:
                    zlib.decompressobj().decompress(data[:2])
                except zlib.error:
                    self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        decompressor = self._decompressor
        try:
            piece = decompressor.decompress(data, PIECE_BYTES)
            while True:
                if piece:
                    yield piece
                # A full piece may leave output inside zlib even when all input was taken: ask until it is short.
                if not decompressor.unconsumed_tail and len(piece) < PIECE_BYTES:
                    return
                piece = decompressor.decompress(decompressor.unconsumed_tail, PIECE_BYTES)
        except zlib.error as error:
            raise APIError(f"the server sent a corrupt compressed body ({error})") from None


def _layers(content_encoding: str) -> list[_Inflater]:
    names = [name.strip().lower() for name in content_encoding.split(",")]
    layers = [_Inflater(name) for name in names if name in ("gzip", "x-gzip", "deflate")]
    if len(layers) > _MAX_ENCODING_LAYERS:
        raise APIError(f"the server compressed its reply {len(layers)} times over; toki reads at most two layers")
    # Encodings are listed in the order they were applied, so they come off in reverse.
    layers.reverse()
    return layers


def _decode(layers: list[_Inflater], data: bytes) -> Iterator[bytes]:
    if not layers:
        yield data
        return
    first, rest = layers[0], layers[1:]
    for piece in first.feed(data):
        yield from _decode(rest, piece)


async def iter_body(
    response: httpx.Response, *, limit: int | None, what: str, advice: str
) -> AsyncGenerator[bytes, None]:
    """The decompressed body in pieces of at most PIECE_BYTES (raw reads may be larger when not compressed).

    Raises BodyTooLargeError once more than `limit` bytes came out (None: no total limit, for streams, whose
    events and text are capped elsewhere). Network errors propagate as httpx raises them.
    """
    layers = _layers(response.headers.get("content-encoding", ""))
    total = 0
    async for raw in response.aiter_raw():
        for piece in _decode(layers, raw):
            total += len(piece)
            if limit is not None and total > limit:
                raise BodyTooLargeError(what, limit, advice)
            yield piece


async def read_body(response: httpx.Response, *, limit: int, what: str, advice: str) -> bytes:
    """The whole decompressed body, or BodyTooLargeError past `limit`. Closes the response either way."""
    parts: list[bytes] = []
    try:
        async for piece in iter_body(response, limit=limit, what=what, advice=advice):
            parts.append(piece)
    finally:
        await response.aclose()
    return b"".join(parts)


async def read_prefix(response: httpx.Response, limit: int) -> bytes:
    """At most the first `limit` decompressed bytes (an error body: its start is all a message needs)."""
    parts: list[bytes] = []
    size = 0
    async for piece in iter_body(response, limit=None, what="", advice=""):
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return b"".join(parts)[:limit]
