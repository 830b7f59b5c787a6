"""A minimal HTTP/1.1 connection over asyncio streams, written by hand so the fake controls every byte.

It parses requests (Content-Length or chunked bodies, keep-alive), and while a reply is being written it
watches the socket for EOF: httpx never pipelines, so EOF during a reply means the client closed the
response early (the "Esc stops the stream" case). Every wait and write raises `ClientGone` once that happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024


class ClientGone(Exception):
    """The client closed the connection (or reset it) before the reply was fully written."""


class BadRequest(Exception):
    """The bytes received are not an HTTP/1.1 request we can parse."""


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    method: str
    target: str
    http_version: str
    headers: dict[str, str]
    body: bytes

    @property
    def wants_close(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.http_version == "HTTP/1.0":
            return "keep-alive" not in connection
        return "close" in connection


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._buffer = bytearray()
        self._eof = False
        self._gone = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def client_gone(self) -> bool:
        return self._gone.is_set()

    # --- reading -------------------------------------------------------------------------------------------

    async def _fill(self) -> bool:
        """Read more bytes into the buffer; False at EOF."""
        if self._eof:
            return False
        try:
            data = await self._reader.read(65536)
        except ConnectionError:
            data = b""
        if not data:
            self._eof = True
            return False
        self._buffer += data
        return True

    async def _read_until(self, marker: bytes, limit: int) -> bytes | None:
        while (end := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit:
                raise BadRequest("request head too large")
            if not await self._fill():
                return None
        chunk = bytes(self._buffer[: end + len(marker)])
        del self._buffer[: end + len(marker)]
        return chunk

    async def _read_exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if not await self._fill():
                raise BadRequest("body shorter than Content-Length")
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    async def read_request(self) -> ParsedRequest | None:
        """The next request, or None when the client closed the connection between requests."""
        head = await self._read_until(b"\r\n\r\n", MAX_HEAD_BYTES)
        if head is None:
            if self._buffer.strip():
                raise BadRequest("connection closed inside a request head")
            return None
        lines = head[:-4].decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError as error:
            raise BadRequest(f"bad request line {lines[0]!r}") from error
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise BadRequest(f"bad header line {line!r}")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked_body()
        else:
            length = headers.get("content-length", "0")
            if not length.isdigit():
                raise BadRequest(f"bad Content-Length {length!r}")
            body = await self._read_exactly(int(length))
        return ParsedRequest(method, target, version, headers, body)

    async def _read_chunked_body(self) -> bytes:
        body = bytearray()
        while True:
            size_line = await self._read_until(b"\r\n", MAX_HEAD_BYTES)
            if size_line is None:
                raise BadRequest("connection closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # Trailers (if any) end with an empty line.
                while await self._read_until(b"\r\n", MAX_HEAD_BYTES) not in (b"\r\n", None):
                    pass
                return bytes(body)
            body += await self._read_exactly(size)
            await self._read_exactly(2)

    # --- watching for the client leaving while we reply --------------------------------------------------

    def start_watching(self) -> None:
        self._watcher = asyncio.create_task(self._watch())

    async def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _watch(self) -> None:
        while await self._fill():
            pass  # pipelined bytes stay buffered for the next read_request()
        self._gone.set()

    # --- writing -------------------------------------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        if self._gone.is_set() or self._writer.is_closing():
            raise ClientGone
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, RuntimeError) as error:
            self._gone.set()
            raise ClientGone from error

    async def sleep(self, seconds: float) -> None:
        """Wait, but stop at once (raising ClientGone) if the client leaves meanwhile."""
        if self._gone.is_set():
            raise ClientGone
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._gone.wait(), seconds)
        if self._gone.is_set():
            raise ClientGone

    async def close(self) -> None:
        """Flush what was written, then send FIN (never RST), so the client reads every byte before EOF."""
        await self.stop_watching()
        with contextlib.suppress(ConnectionError, RuntimeError):
            if not self._writer.is_closing():
                await self._writer.drain()
            self._writer.close()
            await self._writer.wait_closed()

    def abort(self) -> None:
        """Drop the connection at once (server shutdown); no awaiting, so it is safe while cancelled."""
        if self._watcher is not None:
            self._watcher.cancel()
        self._writer.transport.abort()
