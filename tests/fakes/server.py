"""A loopback fake of TOKI's OpenAI-compatible API, for tests, benchmarks, demos and screenshots.

    server = FakeServer().start()          # or: with FakeServer() as server:
    server.script(stream_text("Hi"), error_reply(500, {...}))   # next chat replies, in order
    ... point the client at server.base_url ...
    [request] = server.chat_requests(); request.json()["temperature"]

It runs its own asyncio loop in a daemon thread, so it answers while the test thread blocks in
`subprocess.run`, and HTTP/1.1 is written by hand (http11.py, responder.py) so every fault of docs/protocol.md §6
can be played byte for byte. Run `python -m tests.fakes.server --port 8765 --scenario markdown` to serve
until killed. Every reply builder is re-exported here, so tests import from this one module.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import signal
import sys
import threading
import time
import traceback
from types import TracebackType

from tests.fakes.chunks import (
    DEFAULT_MODEL,
    DONE_EVENT,
    ERROR_FORMS,
    ErrorForm,
    content_chunk,
    done_event,
    error_event,
    finish_chunk,
    openai_error_body,
    role_chunk,
    sse_comment,
    sse_event,
    usage_chunk,
)
from tests.fakes.completions import completion_json, completion_reply, echo_reply, text_reply
from tests.fakes.http11 import BadRequest, ClientGone, Connection, ParsedRequest
from tests.fakes.models import DEFAULT_MODEL_IDS, ROUTER_MODEL_ID, models_body, models_reply
from tests.fakes.recording import RecordedRequest, await_event
from tests.fakes.replies import (
    Part,
    Reply,
    cycle,
    drop_connection,
    dynamic,
    error_reply,
    hang,
    html_error_page,
    http_date,
    json_reply,
    keepalive_forever,
    openai_error_reply,
    rate_limit_reply,
    raw_stream,
)
from tests.fakes.responder import SendProgress, closes_connection, send_reply
from tests.fakes.streams import stream_error, stream_text, stream_tool_calls, tokenize

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_IDS",
    "DONE_EVENT",
    "ERROR_FORMS",
    "ROUTER_MODEL_ID",
    "ErrorForm",
    "FakeServer",
    "Part",
    "RecordedRequest",
    "Reply",
    "await_event",
    "completion_json",
    "completion_reply",
    "content_chunk",
    "cycle",
    "done_event",
    "drop_connection",
    "dynamic",
    "echo_reply",
    "error_event",
    "error_reply",
    "finish_chunk",
    "hang",
    "html_error_page",
    "http_date",
    "json_reply",
    "keepalive_forever",
    "models_body",
    "models_reply",
    "openai_error_body",
    "openai_error_reply",
    "rate_limit_reply",
    "raw_stream",
    "role_chunk",
    "sse_comment",
    "sse_event",
    "stream_error",
    "stream_text",
    "stream_tool_calls",
    "text_reply",
    "tokenize",
    "usage_chunk",
]

CHAT_ROUTE = "/v1/chat/completions"
MODELS_ROUTE = "/v1/models"


class FakeServer:
    """See the module docstring. Scripted replies are consumed only by requests that pass the key check."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.default_reply: Reply = echo_reply()
        self.models: Reply = models_reply()
        self.expected_api_key: str | None = None
        # Print one line per finished request to stderr (the CLI turns this on; never prints headers).
        self.verbose = False
        self._lock = threading.Condition()
        self._chat_script: collections.deque[Reply] = collections.deque()
        self._models_script: collections.deque[Reply] = collections.deque()
        self._connections_accepted = 0
        self._request_ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._connection_tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # --- lifecycle -----------------------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far (keep-alive reuse keeps this low)."""
        return self._connections_accepted

    def start(self) -> FakeServer:
        if self._thread is not None:
            raise RuntimeError("FakeServer already started")
        self._thread = threading.Thread(target=self._run_loop, name="fake-toki-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("FakeServer did not start within 10 s")
        if self._startup_error is not None:
            raise RuntimeError(f"FakeServer could not listen on {self.host}:{self.port}") from self._startup_error
        return self

    def stop(self) -> None:
        """Stop listening, cut every open connection (hanging replies included) and join the thread."""
        thread, loop, stop_requested = self._thread, self._loop, self._stop_requested
        if thread is None:
            return
        if loop is not None and stop_requested is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_requested.set)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- scripting and inspection --------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next chat completion requests; once used up, `default_reply` answers."""
        with self._lock:
            self._chat_script.extend(replies)

    def script_models(self, *replies: Reply) -> None:
        """Queue replies for the next GET /models requests; once used up, `models` answers."""
        with self._lock:
            self._models_script.extend(replies)

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return len(self._chat_script)

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.route == CHAT_ROUTE]

    def wait_for_requests(
        self, count: int = 1, *, route: str | None = None, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Block until `count` requests (to `route`, e.g. "/v1/chat/completions", if given) have arrived."""
        deadline = time.monotonic() + timeout

        def matching() -> list[RecordedRequest]:
            return [r for r in self.requests if route is None or r.route == route]

        with self._lock:
            while len(found := matching()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} requests to {route or 'any route'}, got {len(found)}")
                self._lock.wait(remaining)
            return found

    def wait_for_chat_requests(self, count: int = 1, *, timeout: float = 5.0) -> list[RecordedRequest]:
        return self.wait_for_requests(count, route=CHAT_ROUTE, timeout=timeout)

    def clear(self) -> None:
        """Forget recorded requests and queued replies (defaults stay)."""
        with self._lock:
            self.requests.clear()
            self._chat_script.clear()
            self._models_script.clear()

    # --- the server thread ---------------------------------------------------------------------------------

    def _run_loop(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start(), which re-raises in the caller's thread
            self._startup_error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        server = await asyncio.start_server(self._on_connection, self.host, self.port, limit=1 << 20)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop_requested.wait()
        finally:
            server.close()
            for task in list(self._connection_tasks):
                task.cancel()
            await asyncio.gather(*self._connection_tasks, return_exceptions=True)
            await server.wait_closed()

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connection_tasks.add(task)
        connection = Connection(reader, writer)
        self._connections_accepted += 1
        connection_id = self._connections_accepted
        current: RecordedRequest | None = None
        stopping = False
        try:
            for sequence in itertools.count(1):
                try:
                    parsed = await connection.read_request()
                except BadRequest as error:
                    await connection.write(_plain_400(str(error)))
                    break
                if parsed is None:
                    break
                current = self._record(parsed, connection_id, sequence)
                if not await self._answer(connection, parsed, current):
                    break
                current = None
        except asyncio.CancelledError:
            stopping = True  # stop(): end quietly, so asyncio has no cancelled handler task to report
        except ClientGone:
            pass
        except Exception:
            traceback.print_exc(file=sys.stderr)
        finally:
            if current is not None and not current.finished.is_set():
                current.mark_server_closed(0)
            if stopping:
                connection.abort()
            else:
                await connection.close()
            self._connection_tasks.discard(task)

    def _record(self, parsed: ParsedRequest, connection_id: int, sequence: int) -> RecordedRequest:
        record = RecordedRequest(
            method=parsed.method,
            path=parsed.target,
            headers=dict(parsed.headers),
            body=parsed.body,
            http_version=parsed.http_version,
            connection_id=connection_id,
            sequence_on_connection=sequence,
        )
        with self._lock:
            self.requests.append(record)
            self._lock.notify_all()
        return record

    async def _answer(self, connection: Connection, parsed: ParsedRequest, record: RecordedRequest) -> bool:
        """Send the reply for one request; True when the connection stays open for the next request."""
        try:
            reply = self._choose_reply(record).resolve(record)
        except Exception:
            # A broken resolver is a test bug: say so loudly on the wire and on stderr.
            traceback.print_exc(file=sys.stderr)
            reply = openai_error_reply(500, "fake server: the scripted reply raised; see stderr", type="server_error")
        keep_alive = not parsed.wants_close and not closes_connection(reply)
        progress = SendProgress()
        connection.start_watching()
        try:
            outcome = await send_reply(
                connection,
                reply,
                request_id=f"req_fake_{next(self._request_ids)}",
                keep_alive=keep_alive,
                progress=progress,
                before_last_write=lambda: record.mark_completed(len(reply.body)),
            )
        except ClientGone:
            record.mark_disconnected(progress.body_bytes)
            self._log(record, reply)
            return False
        except asyncio.CancelledError:
            record.mark_server_closed(progress.body_bytes)
            raise
        finally:
            await connection.stop_watching()
        if outcome != "completed":
            record.mark_server_closed(progress.body_bytes)
        self._log(record, reply)
        return keep_alive

    def _choose_reply(self, record: RecordedRequest) -> Reply:
        route = record.route
        known = {CHAT_ROUTE: "POST", MODELS_ROUTE: "GET"}
        if route not in known:
            return openai_error_reply(404, f"Unknown request URL: {record.method} {route}", code="unknown_url")
        if self.expected_api_key is not None and record.bearer_token != self.expected_api_key:
            return _unauthorized(record)
        if record.method != known[route]:
            return openai_error_reply(405, f"Method {record.method} not allowed on {route}")
        with self._lock:
            queue = self._chat_script if route == CHAT_ROUTE else self._models_script
            if queue:
                return queue.popleft()
        return self.default_reply if route == CHAT_ROUTE else self.models

    def _log(self, record: RecordedRequest, reply: Reply) -> None:
        if self.verbose:
            print(f"{record.method} {record.path} -> {reply.status} {reply.label} ({record.outcome})", file=sys.stderr)


def _unauthorized(record: RecordedRequest) -> Reply:
    # The message never repeats the presented key, unlike OpenAI's partial echo.
    if "authorization" not in record.headers:
        message = "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_API_KEY'."
    elif record.bearer_token is None:
        message = "The Authorization header must use the Bearer scheme: 'Authorization: Bearer YOUR_API_KEY'."
    else:
        message = "Incorrect API key provided. The key may be invalid, disabled or expired."
    return openai_error_reply(401, message, code="invalid_api_key")


def _plain_400(reason: str) -> bytes:
    body = f"bad request: {reason}\n".encode()
    head = f"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
    return (head + "Connection: close\r\n\r\n").encode() + body


def main(argv: list[str] | None = None) -> int:
    from tests.fakes.scenarios import SCENARIOS

    parser = argparse.ArgumentParser(prog="python -m tests.fakes.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default: 8765)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="echo")
    parser.add_argument("--api-key", help="require this Bearer key (401 otherwise); default: accept any")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    args = parser.parse_args(argv)

    server = FakeServer(args.host, args.port)
    server.expected_api_key = args.api_key
    server.verbose = not args.quiet
    SCENARIOS[args.scenario](server)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        print(server.base_url, flush=True)
        print(f"fake TOKI server, scenario {args.scenario!r}; Ctrl-C to stop", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
