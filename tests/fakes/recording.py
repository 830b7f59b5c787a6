"""What the fake server remembers about each request, readable from any thread without asyncio."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    """One HTTP request as it arrived, plus how the reply to it ended.

    Exactly one of `completed` / `disconnected` / `server_closed` is set once the server is done with the
    request, and `finished` is set in every case. The events are `threading.Event`s so a test thread blocked
    on `subprocess.run` (or an async test via `await_event`) can wait on them without the server's loop.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    http_version: str = "HTTP/1.1"
    # Which request on its TCP connection this was (1 = fresh connection, 2+ = keep-alive reuse).
    connection_id: int = 0
    sequence_on_connection: int = 1
    received_at: float = field(default_factory=time.monotonic)
    disconnected: threading.Event = field(default_factory=threading.Event)
    completed: threading.Event = field(default_factory=threading.Event)
    server_closed: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    disconnected_at: float | None = None
    completed_at: float | None = None
    # Body bytes of the reply (before chunked framing) written to the socket when the reply ended.
    body_bytes_sent: int = 0

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def route(self) -> str:
        """The path without its query string."""
        return self.path.partition("?")[0]

    @property
    def bearer_token(self) -> str | None:
        """The token after `Bearer ` in Authorization, or None when the header is missing or not Bearer."""
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None

    @property
    def wants_stream(self) -> bool:
        try:
            payload = self.json()
        except (ValueError, UnicodeDecodeError):
            return False
        return isinstance(payload, dict) and payload.get("stream") is True

    @property
    def outcome(self) -> str:
        """'completed', 'client_disconnected', 'server_closed' or 'pending'."""
        if self.completed.is_set():
            return "completed"
        if self.disconnected.is_set():
            return "client_disconnected"
        if self.server_closed.is_set():
            return "server_closed"
        return "pending"

    def wait_disconnected(self, timeout: float = 5.0) -> bool:
        """Block until the client closed the connection before the reply finished; False on timeout."""
        return self.disconnected.wait(timeout)

    def wait_finished(self, timeout: float = 5.0) -> bool:
        return self.finished.wait(timeout)

    # Called from the server thread only.
    def mark_completed(self, body_bytes_sent: int) -> None:
        self.body_bytes_sent = body_bytes_sent
        self.completed_at = time.monotonic()
        self.completed.set()
        self.finished.set()

    def mark_disconnected(self, body_bytes_sent: int) -> None:
        # The final write can fail after mark_completed ran just before it: the client did not get it all.
        self.completed.clear()
        self.completed_at = None
        self.body_bytes_sent = body_bytes_sent
        self.disconnected_at = time.monotonic()
        self.disconnected.set()
        self.finished.set()

    def mark_server_closed(self, body_bytes_sent: int) -> None:
        self.body_bytes_sent = body_bytes_sent
        self.server_closed.set()
        self.finished.set()

    def __repr__(self) -> str:
        # Never print header values: Authorization carries the API key.
        return (
            f"RecordedRequest({self.method} {self.path}, {len(self.body)} body bytes, "
            f"headers={sorted(self.headers)}, outcome={self.outcome})"
        )


async def await_event(event: threading.Event, timeout: float = 5.0) -> bool:
    """Wait for a `threading.Event` from async code without blocking the caller's event loop."""
    return await asyncio.to_thread(event.wait, timeout)
