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
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from toki_tui import __version__
from toki_tui.core.api.body_limits import ACCEPT_ENCODING, read_body, read_prefix
from toki_tui.core.api.chunks import excerpt
from toki_tui.core.api.direct_transport import DirectTransport, proxy_configured
from toki_tui.core.api.events import (
    RetryScheduled,
    StreamEvent,
)
from toki_tui.core.api.http_errors import (
    describe_exception,
    endpoint_error,
    retry_delay,
    should_retry,
    summarise_non_json,
)
from toki_tui.core.api.json_limits import JSONTooDeepError, loads
from toki_tui.core.api.key_redaction import redact_bytes, redact_stream_error, redact_text
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply_limit import MAX_REPLY_CHARS, ReplyLimiter
from toki_tui.core.api.reply_reader import read_reply
from toki_tui.core.errors import (
    APICertificateError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    StreamError,
)

if TYPE_CHECKING:
    from toki_tui.core.api.model_info import ModelList

_ERROR_BODY_LIMIT = 256 * 1024
"""Only the start of an error body is read: the message is cut to a few hundred characters anyway."""
MAX_MODELS_BODY_BYTES = 16 * 1024 * 1024
"""/models, decompressed. The biggest real lists (hundreds of models with descriptions) are around a megabyte;
16 MB leaves room for 20,000+ detailed entries while bounding what json.loads can be made to allocate."""


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


LONG_CONTEXT_MESSAGES = 200
"""From this many messages a request body is encoded in a thread: below it encoding takes well under a frame."""


def _encode_body(request: dict[str, Any]) -> bytes:
    return json.dumps(request, ensure_ascii=False).encode("utf-8")


async def _encoded(request: dict[str, Any], message_count: int) -> bytes:
    if message_count > LONG_CONTEXT_MESSAGES:
        # A long conversation's context is megabytes of JSON: encoded in a thread, the caller's event loop
        # (the TUI's) goes on drawing meanwhile.
        return await asyncio.to_thread(_encode_body, request)
    return _encode_body(request)


def _refuses_stream_options(error: APIStatusError) -> bool:
    """A 400/422 whose message names stream_options ("Unrecognized request argument supplied: stream_options",
    pydantic's "extra inputs are not permitted" with the field's name; docs/protocol.md §2.3)."""
    return error.status in (400, 422) and "stream_options" in error.server_message.lower()


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
        max_reply_chars: int = MAX_REPLY_CHARS,
        read_interval: float | None = None,
        key_source: str | None = None,
    ) -> None:
        """`one_shot=True` (for `toki ask` and `toki models`) uses a pool-less transport that starts faster
        (see direct_transport.py), unless a proxy is configured or a transport is given. `read_interval` (the
        TUI's) uses the same transport, reading a streaming body at most that often once it flows: a caller
        that shows the stream a few times a second saves the CPU of waking for every token."""
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        #: Where the key came from (ResolvedEndpoint.key_source), named by the advice of a 401.
        self._key_source = key_source if key_source != "none" else None
        self.timeouts: TimeoutSettings = timeouts if timeouts is not None else DefaultTimeouts()
        self.max_retries = max_retries
        self._transport = transport
        self._one_shot = one_shot
        self._read_interval = read_interval
        self.max_reply_chars = max_reply_chars
        self._http: httpx.AsyncClient | None = None
        #: The server refused a request for its stream_options: they are left out from then on.
        self._without_stream_options = False

    def __repr__(self) -> str:
        return f"ChatClient(base_url={self.base_url!r}, api_key={'set' if self._api_key else 'none'})"

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {
                "User-Agent": f"toki/{__version__}",
                "Accept": "application/json, text/event-stream",
                # Only what body_limits.py can decompress in bounded steps.
                "Accept-Encoding": ACCEPT_ENCODING,
            }
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            timeouts = self.timeouts
            # Loading the CA bundle is a large part of start-up; a plain-http endpoint (a local server) never uses it.
            plain_http = self.base_url.lower().startswith("http://")
            transport = self._transport
            direct = self._one_shot or self._read_interval is not None
            if transport is None and direct and not proxy_configured():
                transport = DirectTransport(read_interval=self._read_interval or 0.0)
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

    async def list_models(self) -> ModelList:
        """The endpoint's models, read leniently from any of the shapes in docs/protocol.md §4."""
        client = self._client()
        try:
            response = await client.send(client.build_request("GET", "models"), stream=True)
        except httpx.HTTPError as error:
            raise _connection_error(error, self.base_url, self.timeouts.idle) from None
        try:
            if response.status_code >= 300:
                raise self._status_error(response, await read_prefix(response, _ERROR_BODY_LIMIT))
            content = await read_body(
                response,
                limit=MAX_MODELS_BODY_BYTES,
                what="the server's /models response",
                advice="is the base URL right? a model id can still be typed in the picker",
            )
        except httpx.HTTPError as error:
            raise _connection_error(error, self.base_url, self.timeouts.idle) from None
        finally:
            await response.aclose()
        try:
            body = loads(content) if content.strip() else None
        except JSONTooDeepError as error:
            raise APIError(f"the model list from {self.base_url} cannot be read: {error}") from None
        except ValueError:
            summary = summarise_non_json(
                redact_bytes(content[:65536], self._api_key),
                response.headers.get("content-type", ""),
                page="an HTML page",
            )
            raise APIError(
                f"the model list from {self.base_url} is not JSON ({summary}); is the base URL the API's "
                "(usually ending in /v1)?"
            ) from None
        from toki_tui.core.api.model_info import parse_models  # only `toki models` and the picker need it

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
        request = self.request_body(model, messages, params)
        if self._without_stream_options:
            request.pop("stream_options", None)
        body = await _encoded(request, len(messages))
        attempt = 0
        while True:
            try:
                response = await self._send_once(body)
                break
            except APIStatusError as error:
                if "stream_options" in request and _refuses_stream_options(error):
                    # Servers that predate stream_options (older vLLM, older Azure API versions) refuse the whole
                    # request over it: asked again without it, here and for the client's later requests.
                    self._without_stream_options = True
                    del request["stream_options"]
                    body = await _encoded(request, len(messages))
                    continue
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
        limiter = ReplyLimiter(self.max_reply_chars)
        try:
            async for batch in read_reply(response, idle=self.timeouts.idle, total=self.timeouts.total):
                batch = limiter.take(batch)
                yield batch
                if limiter.reached:
                    return  # closing the response (below) tells the server to stop
        except StreamError as error:
            clean = redact_stream_error(error, self._api_key)
            if clean is error:
                raise
            raise clean from None
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
            raise _connection_error(error, self.base_url, self.timeouts.idle) from None
        if response.status_code >= 300:
            try:
                error_body = await read_prefix(response, _ERROR_BODY_LIMIT)
            except (httpx.HTTPError, APIError):
                error_body = b""
            finally:
                await response.aclose()
            raise self._status_error(response, error_body)
        return response

    def _status_error(self, response: httpx.Response, body: bytes) -> APIStatusError:
        """The error for a status >= 300 (http_errors.endpoint_error), without the key should the server quote it
        in its body or in a redirect's Location (key_redaction.py)."""
        headers = response.headers.copy()
        if "location" in headers:
            headers["location"] = redact_text(headers["location"], self._api_key)
        request_url = str(response.request.url)
        return endpoint_error(
            response.status_code,
            redact_bytes(body, self._api_key),
            headers,
            base_url=self.base_url,
            request_url=request_url,
            requested="models" if request_url.rstrip("/").endswith("/models") else "chat/completions",
            key_sent=bool(self._api_key),
            key_source=self._key_source,
        )


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


def _connection_error(error: httpx.HTTPError, base_url: str, idle: float) -> APIConnectionError:
    host = httpx.URL(base_url).host or base_url
    if isinstance(error, httpx.ReadTimeout):
        # Connected and sent: the server is slow to start answering (a queue, a model loading, a long
        # non-streamed reply), not unreachable.
        return APITimeoutError(
            f"{host} took the request but sent no answer for {idle:g} s; the server may be busy or still loading "
            "the model (raise [timeouts] idle in the config for slow servers)"
        )
    if isinstance(error, httpx.WriteTimeout):
        return APITimeoutError(f"timed out sending the request to {host}; check the network")
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
            f"could not connect to {host} ({describe_exception(error)}); check the network or the base URL"
        )
    if isinstance(error, httpx.RemoteProtocolError) and _closed_without_answer(error):
        # httpx says "Server disconnected without sending a response", or h11's "can't handle event type
        # ConnectionClosed when role=SERVER and state=SEND_RESPONSE" when the close comes as the request is sent.
        return APIConnectionError(
            f"{host} closed the connection without answering; check that the server is running and the base URL "
            "(a proxy or a server restarting may also drop a request)"
        )
    return APIConnectionError(f"the connection to {host} failed ({describe_exception(error)})")


def _closed_without_answer(error: httpx.RemoteProtocolError) -> bool:
    text = str(error)
    return "without sending a response" in text or "ConnectionClosed" in text


__all__ = ["ChatClient", "DefaultTimeouts", "RetryScheduled", "StreamEvent", "TimeoutSettings"]
