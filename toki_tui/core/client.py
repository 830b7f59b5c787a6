"""The async TOKI / OpenAI-compatible client: `list_models()` and `stream_chat()` yielding typed events.

One ChatClient talks to one endpoint with one key. Retries happen only before any content arrived; once a stream
has started, a failure is raised as StreamError after every event that arrived, so the caller keeps the partial
reply. Cancelling the consuming task closes the HTTP response at once, which tells the server to stop.

Use `contextlib.aclosing(client.stream_chat(...))` when you may stop iterating early, so the response is closed
then and not when the generator is garbage-collected.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from toki_tui import __version__
from toki_tui.core.chunks import ChunkParser, error_from_payload, excerpt
from toki_tui.core.direct_transport import DirectTransport, proxy_configured
from toki_tui.core.errors import (
    APICertificateError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    StreamError,
)
from toki_tui.core.events import (
    ResponseStarted,
    RetryScheduled,
    StreamEvent,
)
from toki_tui.core.http_errors import retry_delay, should_retry, status_error
from toki_tui.core.idle_watchdog import IdleWatchdog
from toki_tui.core.params import ChatMessage, ChatParams
from toki_tui.core.sse import EventTooLargeError, SSEDecoder

if TYPE_CHECKING:
    from toki_tui.core.model_info import ModelInfo

_ERROR_BODY_LIMIT = 256 * 1024
_JSON_BODY_LIMIT = 64 * 1024 * 1024


class TimeoutSettings(Protocol):
    """Anything with these attributes (config.Timeouts is one)."""

    @property
    def connect(self) -> float: ...
    @property
    def idle(self) -> float: ...
    @property
    def total(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class DefaultTimeouts:
    connect: float = 10.0
    idle: float = 120.0
    total: float | None = None


class ChatClient:
    """A client for one endpoint. Creating it does no I/O; the HTTP connection pool opens on first use."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        timeouts: TimeoutSettings | None = None,
        max_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        one_shot: bool = False,
    ) -> None:
        """`one_shot=True` (for `toki ask` and `toki models`) uses a pool-less transport that starts faster
        (see direct_transport.py), unless a proxy is configured or a transport is given."""
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeouts: TimeoutSettings = timeouts if timeouts is not None else DefaultTimeouts()
        self.max_retries = max_retries
        self._transport = transport
        self._one_shot = one_shot
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"ChatClient(base_url={self.base_url!r}, api_key={'set' if self._api_key else 'none'})"

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"User-Agent": f"toki/{__version__}", "Accept": "application/json, text/event-stream"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            timeouts = self.timeouts
            # Loading the CA bundle costs ~60 ms of start-up; a plain-http endpoint (a local server) never uses it.
            plain_http = self.base_url.lower().startswith("http://")
            transport = self._transport
            if transport is None and self._one_shot and not proxy_configured():
                transport = DirectTransport()
            self._http = httpx.AsyncClient(
                verify=not plain_http,
                # The trailing slash makes httpx join "chat/completions" under the base path (docs/protocol.md §6.23).
                base_url=self.base_url + "/",
                headers=headers,
                timeout=httpx.Timeout(connect=timeouts.connect, read=timeouts.idle, write=60.0, pool=timeouts.connect),
                transport=transport,
                follow_redirects=False,
                trust_env=True,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ---- models -------------------------------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        """The endpoint's models, read leniently from any of the shapes in docs/protocol.md §4."""
        try:
            response = await self._client().get("models")
        except httpx.HTTPError as error:
            raise _connection_error(error, self.base_url) from None
        if response.status_code >= 300:
            raise _redirect_or_status_error(response, response.content[:_ERROR_BODY_LIMIT])
        try:
            body = json.loads(response.content) if response.content.strip() else None
        except ValueError:
            raise APIError(f"the model list from {self.base_url} is not JSON: {excerpt(response.text)}") from None
        from toki_tui.core.model_info import parse_models  # only `toki models` and the picker need it

        return parse_models(body)

    # ---- chat ---------------------------------------------------------------------------------------------

    @staticmethod
    def request_body(model: str, messages: Sequence[ChatMessage], params: ChatParams) -> dict[str, Any]:
        """The JSON body of a chat request: every parameter of the API, `None` values left out."""
        body: dict[str, Any] = {"model": model, "messages": [message.to_wire() for message in messages]}
        body.update(params.to_wire())
        body["stream"] = params.stream
        if params.stream:
            body.setdefault("stream_options", {"include_usage": True})
        return body

    async def stream_chat(
        self, *, model: str, messages: Sequence[ChatMessage], params: ChatParams
    ) -> AsyncGenerator[StreamEvent, None]:
        """Send one chat request and yield its events; streaming or not, the events are the same."""
        async for batch in self.stream_chat_batches(model=model, messages=messages, params=params):
            for event in batch:
                yield event

    async def stream_chat_batches(
        self, *, model: str, messages: Sequence[ChatMessage], params: ChatParams
    ) -> AsyncGenerator[list[StreamEvent], None]:
        """Like stream_chat, but yields the events of each network read as one list.

        At thousands of tokens a second, each async-generator hop per event is measurable; consumers on the hot
        path (the session, `toki ask`) take batches, and only the outermost layer yields single events.
        """
        body = json.dumps(self.request_body(model, messages, params), ensure_ascii=False).encode("utf-8")
        attempt = 0
        while True:
            try:
                response = await self._send_once(body)
                break
            except APIStatusError as error:
                if attempt >= self.max_retries or not should_retry(error):
                    raise
                delay = retry_delay(attempt, retry_after=error.retry_after, status=error.status)
                reason = f"HTTP {error.status}"
            except APIConnectionError as error:
                if attempt >= self.max_retries or not error.retryable:
                    raise
                delay = retry_delay(attempt, retry_after=None, status=None)
                reason = str(error)
            attempt += 1
            yield [RetryScheduled(attempt, delay, reason)]
            await asyncio.sleep(delay)
        try:
            async for batch in self._read_reply(response):
                yield batch
        finally:
            await response.aclose()

    async def _send_once(self, body: bytes) -> httpx.Response:
        client = self._client()
        request = client.build_request(
            "POST", "chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise _connection_error(error, self.base_url) from None
        if response.status_code >= 300:
            try:
                error_body = await _read_limited(response, _ERROR_BODY_LIMIT)
            except httpx.HTTPError:
                error_body = b""
            finally:
                await response.aclose()
            raise _redirect_or_status_error(response, error_body)
        return response

    async def _read_reply(self, response: httpx.Response) -> AsyncIterator[list[StreamEvent]]:
        yield [ResponseStarted(response.status_code, response.headers.get("x-request-id"))]
        watchdog = IdleWatchdog(self.timeouts.idle, self.timeouts.total)
        try:
            chunks = response.aiter_bytes().__aiter__()
            first = await self._next_chunk(chunks, watchdog)
            # Skip the blank lines DeepSeek sends while a non-stream reply is being prepared (docs/protocol.md §6.21).
            while first is not None and not first.strip():
                first = await self._next_chunk(chunks, watchdog)
            if first is None:
                raise StreamError("the server closed the connection without sending a reply")
            # Trust the body over the Content-Type: servers answer stream:true with JSON (errors, busy pages)
            # and stream:false with SSE (docs/protocol.md §6.18). An SSE body never starts with "{" or "[".
            reader = self._read_json if first.lstrip()[:1] in (b"{", b"[") else self._read_sse
            async for batch in reader(first, chunks, watchdog):
                yield batch
        finally:
            watchdog.cancel()

    async def _next_chunk(self, chunks: AsyncIterator[bytes], watchdog: IdleWatchdog) -> bytes | None:
        watchdog.reading = True
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return None
        except asyncio.CancelledError:
            if watchdog.absorb_cancellation():
                if watchdog.fired == "total":
                    raise APITimeoutError(
                        f"the reply took longer than the {self.timeouts.total:g} s limit; the partial reply is kept"
                    ) from None
                raise APITimeoutError(
                    f"the server sent no content for {self.timeouts.idle:g} s; the partial reply is kept "
                    "(raise [timeouts] idle in the config for slow models)"
                ) from None
            raise
        except httpx.ReadTimeout:
            raise APITimeoutError(
                f"the server sent nothing for {self.timeouts.idle:g} s; the partial reply is kept"
            ) from None
        except httpx.HTTPError as error:
            raise StreamError(
                f"the connection dropped mid-reply ({_describe_http_error(error)}); the partial reply is kept"
            ) from None
        finally:
            watchdog.reading = False

    async def _read_sse(
        self, first: bytes, chunks: AsyncIterator[bytes], watchdog: IdleWatchdog
    ) -> AsyncIterator[list[StreamEvent]]:
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
                        payload = json.loads(data)
                    except ValueError:
                        raise StreamError(
                            f"the server sent stream data that is not JSON: {excerpt(data)}", raw=data
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
                watchdog.touch()
            if batch:
                yield batch
            chunk = await self._next_chunk(chunks, watchdog)
        yield parser.flush()
        if not parser.finished:
            if decoder.has_partial_event:
                raise StreamError("the stream was cut off in the middle of an event; the partial reply is kept")
            raise StreamError(
                "the stream ended before the reply was complete (no finish reason, no [DONE]); "
                "the partial reply is kept"
            )

    async def _read_json(
        self, first: bytes, chunks: AsyncIterator[bytes], watchdog: IdleWatchdog
    ) -> AsyncIterator[list[StreamEvent]]:
        parts = [first]
        size = len(first)
        while (chunk := await self._next_chunk(chunks, watchdog)) is not None:
            size += len(chunk)
            if size > _JSON_BODY_LIMIT:
                raise StreamError(f"the reply is larger than {_JSON_BODY_LIMIT // (1024 * 1024)} MiB")
            parts.append(chunk)
        raw = b"".join(parts)
        try:
            body = json.loads(raw)
        except ValueError:
            raise StreamError(
                f"the server sent a reply that is not JSON: {excerpt(raw.decode('utf-8', 'replace'))}"
            ) from None
        yield ChunkParser().parse_completion(body)


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(parts)[:limit]


def _event_error(data: str) -> StreamError:
    try:
        payload = json.loads(data) if data.strip() else None
    except ValueError:
        payload = data
    if isinstance(payload, dict) and "error" in payload:
        payload = payload["error"]
    return error_from_payload(payload)


def _describe_http_error(error: httpx.HTTPError) -> str:
    text = str(error) or type(error).__name__
    return excerpt(text, 160)


def _certificate_problem(error: BaseException) -> str | None:
    """Why certificate verification failed, if that is what `error` (or what caused it) is."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return excerpt(current.verify_message or str(current), 120)
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return excerpt(str(current), 120)
        current = current.__cause__ or current.__context__
    return None


def _connection_error(error: httpx.HTTPError, base_url: str) -> APIConnectionError:
    host = httpx.URL(base_url).host or base_url
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"timed out connecting to {host}; check the network or the base URL")
    certificate_problem = _certificate_problem(error)
    if certificate_problem is not None:
        return APICertificateError(
            f"the TLS certificate of {host} could not be verified ({certificate_problem}); check the endpoint's "
            "base_url, or, for a server with its own certificate authority, point SSL_CERT_FILE at its CA bundle"
        )
    if isinstance(error, httpx.ConnectError):
        return APIConnectionError(
            f"could not connect to {host} ({_describe_http_error(error)}); check the network or the base URL"
        )
    return APIConnectionError(f"the connection to {host} failed ({_describe_http_error(error)})")


def _redirect_or_status_error(response: httpx.Response, body: bytes) -> APIStatusError:
    if 300 <= response.status_code < 400:
        location = response.headers.get("location", "")
        return APIStatusError(
            response.status_code,
            f"the server redirected to {excerpt(location, 120)}; set the base URL to the final address",
        )
    return status_error(response.status_code, body, response.headers)


__all__ = ["ChatClient", "DefaultTimeouts", "RetryScheduled", "StreamEvent", "TimeoutSettings"]
