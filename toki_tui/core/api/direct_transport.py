"""A small HTTP/1.1 transport: asyncio streams + h11, one connection per request.

Why it exists: httpx's default async transport (httpcore) runs on anyio, and importing anyio's asyncio backend
at the first request costs tens of milliseconds, which on its own breaks `toki ask`'s start-up budget (process
start to request sent within 1.5x of `import httpx`; tests/benchmarks/bench_ask.py). A one-shot command needs no
connection pool, so this transport keeps only what a single request needs: connect (with TLS), send, stream
the body back. HTTP framing is h11's (httpx's own HTTP/1.1 engine), so no protocol parsing is written here.

It is used wherever it fits: not when a proxy is configured (httpx's transport honours proxies; this one does
not). The TUI uses it too, for what it does per token: the body pieces already received go up as one piece (a
chunked stream sends a chunk per token, and httpcore hands each up through a dozen async layers on its own), and
with `read_interval` the socket of an event stream is read at most that often once the body flows, so a reply
arriving at 200 tokens a second wakes the event loop's reader a few times per frame instead of per token. The
pool it gives up kept a connection for httpx's 5 s keep-alive, shorter than most pauses between two questions.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import urllib.request
from collections.abc import AsyncIterator, Mapping, Sequence

import h11
import httpx

_READ_SIZE = 64 * 1024
_PROXY_SCHEMES = ("http", "https", "all")
"""The entries of urllib's proxy settings that httpx turns into proxies (others, such as ftp, it ignores)."""


def proxy_configured(proxies: Mapping[str, str] | None = None) -> bool:
    """Whether httpx, with trust_env (as ChatClient makes it), would send requests through a proxy; then httpx's
    own transport is used, as in the TUI. Decided as httpx decides (httpx._utils.get_environment_proxies): from
    `urllib.request.getproxies()` (the *_proxy variables, and the system settings on macOS and Windows), an http,
    https or all entry, unless no_proxy is `*`. `proxies` stands in for getproxies() in tests."""
    settings = urllib.request.getproxies() if proxies is None else proxies
    if any(host.strip() == "*" for host in settings.get("no", "").split(",")):
        return False
    return any(settings.get(scheme) for scheme in _PROXY_SCHEMES)


def _timeout(request: httpx.Request, kind: str) -> float | None:
    timeouts = request.extensions.get("timeout", {})
    value = timeouts.get(kind)
    return float(value) if value is not None else None


class _ResponseStream(httpx.AsyncByteStream):
    """The response body, read from the socket as httpx asks for it."""

    def __init__(
        self,
        connection: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: httpx.Request,
        read_interval: float,
    ) -> None:
        self._connection = connection
        self._reader = reader
        self._writer = writer
        self._request = request
        self._read_interval = read_interval

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Each piece is all the body data received by one socket read. After a piece, the socket is read again
        no sooner than `read_interval` later (what arrives meanwhile waits in the socket's buffer); the first
        piece is read as soon as it comes, and so is the rest of a read that filled the read size (more is
        waiting)."""
        read_timeout = _timeout(self._request, "read")
        loop = asyncio.get_running_loop()
        full = False
        data_at: float | None = None  # when the last piece went up, unless the read before it was full
        pending: object = None
        while True:
            event = pending if pending is not None else _buffered_event(self._connection, self._request)
            pending = None
            if event is h11.NEED_DATA:
                if data_at is not None and self._read_interval > 0:
                    wait = data_at + self._read_interval - loop.time()
                    if wait > 0:
                        await self._pause(wait)
                full = await _receive(self._connection, self._reader, read_timeout, self._request) >= _READ_SIZE
            elif isinstance(event, h11.Data):
                parts = [bytes(event.data)]
                while isinstance(pending := _buffered_event(self._connection, self._request), h11.Data):
                    parts.append(pending.data)
                data_at = None if full else loop.time()
                yield b"".join(parts)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return

    async def _pause(self, seconds: float) -> None:
        """Wait with the socket out of the event loop's watch: what arrives meanwhile stays in the kernel's buffer
        instead of waking the loop once per packet to be copied into the reader's."""
        transport = self._writer.transport
        if not isinstance(transport, asyncio.ReadTransport):  # a socket's transport is both; checked for the types
            await asyncio.sleep(seconds)
            return
        transport.pause_reading()
        try:
            await asyncio.sleep(seconds)
        finally:
            if not transport.is_closing():
                transport.resume_reading()

    async def aclose(self) -> None:
        # Closing the socket is what tells the server to stop generating (Esc, Ctrl+C, an early break). Aborted,
        # not closed: nothing more is to be sent, and a TLS close would wait for the server's answer. Waited for,
        # so the socket is closed when this returns, even if the event loop ends right after (the app quitting).
        self._writer.transport.abort()
        with contextlib.suppress(OSError):  # the connection's own failure, if it broke first: already reported
            await self._writer.wait_closed()


def _buffered_event(connection: h11.Connection, request: httpx.Request) -> object:
    """The next h11 event in what was already received: an h11.Event, h11.PAUSED, or h11.NEED_DATA."""
    try:
        return connection.next_event()
    except h11.RemoteProtocolError as error:
        raise httpx.RemoteProtocolError(str(error), request=request) from None


async def _next_event(
    connection: h11.Connection, reader: asyncio.StreamReader, read_timeout: float | None, request: httpx.Request
) -> object:
    """The next h11 event (an h11.Event, or h11.PAUSED), reading from the socket as needed."""
    while True:
        event = _buffered_event(connection, request)
        if event is not h11.NEED_DATA:
            return event
        await _receive(connection, reader, read_timeout, request)


async def _receive(
    connection: h11.Connection, reader: asyncio.StreamReader, read_timeout: float | None, request: httpx.Request
) -> int:
    """One socket read (all that is buffered, up to _READ_SIZE), handed to h11; returns the bytes read."""
    try:
        async with asyncio.timeout(read_timeout):
            data = await reader.read(_READ_SIZE)
    except TimeoutError:
        raise httpx.ReadTimeout("timed out waiting for the server", request=request) from None
    except OSError as error:
        raise httpx.ReadError(str(error) or type(error).__name__, request=request) from None
    try:
        # An empty read is end of file; h11 turns a body cut short into RemoteProtocolError.
        connection.receive_data(data)
    except h11.RemoteProtocolError as error:
        raise httpx.RemoteProtocolError(str(error), request=request) from None
    return len(data)


class DirectTransport(httpx.AsyncBaseTransport):
    """One request, one connection: no pool, no proxy support, no anyio."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, read_interval: float = 0.0) -> None:
        """`read_interval`: seconds between two socket reads of an event stream's body once it flows (0: read as
        data comes), for a caller that shows the stream at a frame rate and need not wake per token. Other bodies
        (a model list, a JSON reply) are read as they come: paused, a socket's buffer would cap their throughput."""
        self._ssl_context = ssl_context
        self._read_interval = read_interval

    def _interval_for(self, headers: Sequence[tuple[bytes, bytes]]) -> float:
        for name, value in headers:
            if name.lower() == b"content-type" and value.lower().startswith(b"text/event-stream"):
                return self._read_interval
        return 0.0

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            # The same trust store httpx uses (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built on first https use.
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        try:
            async with asyncio.timeout(_timeout(request, "connect")):
                reader, writer = await asyncio.open_connection(
                    url.host, port, ssl=self._tls() if secure else None, server_hostname=url.host if secure else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {url.host}:{port}", request=request) from None
        except ssl.SSLCertVerificationError as error:
            # Kept as the cause: the client tells a certificate problem (not worth retrying) from a dropped line.
            raise httpx.ConnectError(str(error), request=request) from error
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(str(error) or type(error).__name__, request=request) from None
        connection = h11.Connection(h11.CLIENT)
        try:
            body = await request.aread()
            head = h11.Request(method=request.method, target=url.raw_path, headers=list(request.headers.raw))
            writer.write(connection.send(head) or b"")
            if body:
                writer.write(connection.send(h11.Data(data=body)) or b"")
            writer.write(connection.send(h11.EndOfMessage()) or b"")
            async with asyncio.timeout(_timeout(request, "write")):
                await writer.drain()
            read_timeout = _timeout(request, "read")
            while True:
                event = await _next_event(connection, reader, read_timeout, request)
                if isinstance(event, h11.Response):
                    break
                if isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection without a response", request=request
                    )
        except TimeoutError:
            writer.close()
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as error:
            writer.close()
            raise httpx.WriteError(str(error) or type(error).__name__, request=request) from None
        except BaseException:
            writer.close()
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers,
            stream=_ResponseStream(connection, reader, writer, request, self._interval_for(event.headers)),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
            request=request,
        )
