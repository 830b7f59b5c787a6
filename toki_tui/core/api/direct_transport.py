"""A small HTTP/1.1 transport for one-shot commands: asyncio streams + h11, one connection per request.

Why it exists: httpx's default async transport (httpcore) runs on anyio, and importing anyio's asyncio backend
at the first request costs tens of milliseconds, which on its own breaks `toki ask`'s start-up budget (process
start to request sent within 1.5x of `import httpx`; tests/benchmarks/bench_ask.py). A one-shot command needs no
connection pool, so this transport keeps only what a single request needs: connect (with TLS), send, stream
the body back. HTTP framing is h11's (httpx's own HTTP/1.1 engine), so no protocol parsing is written here.

It is used only where it fits: not when a proxy is configured (httpx's transport honours proxies; this one does
not), and not by the TUI, which reuses connections across turns.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import AsyncIterator, Mapping

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
    ) -> None:
        self._connection = connection
        self._reader = reader
        self._writer = writer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read_timeout = _timeout(self._request, "read")
        while True:
            event = await _next_event(self._connection, self._reader, read_timeout, self._request)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return

    async def aclose(self) -> None:
        # Closing the socket is what tells the server to stop generating (Esc, Ctrl+C, an early break).
        self._writer.close()


async def _next_event(
    connection: h11.Connection, reader: asyncio.StreamReader, read_timeout: float | None, request: httpx.Request
) -> object:
    """The next h11 event (an h11.Event, or h11.PAUSED), reading from the socket as needed."""
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from None
        if event is not h11.NEED_DATA:
            return event
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


class DirectTransport(httpx.AsyncBaseTransport):
    """One request, one connection: no pool, no proxy support, no anyio."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context

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
            stream=_ResponseStream(connection, reader, writer, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
            request=request,
        )
