"""A server whose TLS certificate cannot be verified (here: self-signed, on loopback): one attempt, no retries,
and a message that says so and what to check. Both transports: httpx's pool (the TUI) and the direct one
(`toki ask`)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.events import RetryScheduled
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.errors import APICertificateError

CERTIFICATE = Path(__file__).parent / "fixtures" / "self_signed_localhost.pem"


class SelfSignedServer:
    """Accepts TLS connections with a certificate no trust store knows; counts the attempts."""

    def __init__(self) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(CERTIFICATE)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            try:
                with self.context.wrap_socket(raw, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass  # the client refuses the certificate: that is the point

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the serving thread
        self.listener.close()
        self._thread.join(5)


@pytest.fixture
def tls_server() -> Iterator[SelfSignedServer]:
    server = SelfSignedServer()
    yield server
    server.close()


@pytest.mark.parametrize("one_shot", [False, True], ids=["httpx", "direct"])
async def test_an_unverifiable_certificate_is_not_retried_and_says_what_to_check(
    tls_server: SelfSignedServer, one_shot: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = ChatClient(base_url=f"https://127.0.0.1:{tls_server.port}/v1", api_key="k", one_shot=one_shot)
    events: list[object] = []
    with pytest.raises(APICertificateError) as raised:
        async for event in client.stream_chat(model="m", messages=[ChatMessage("user", "hi")], params=ChatParams()):
            events.append(event)
    await client.aclose()
    assert not any(isinstance(event, RetryScheduled) for event in events)
    assert tls_server.connections == 1
    message = str(raised.value)
    assert message.startswith("the TLS certificate of 127.0.0.1 could not be verified (")
    assert "base_url" in message and "SSL_CERT_FILE" in message
    assert not raised.value.retryable
