"""The suite's guard: a test that tries to leave this machine fails at once, loopback still works."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import PublicNetworkError
from tests.fakes.server import FakeServer


def test_a_connection_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(PublicNetworkError):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed, but refused before any packet


def test_a_name_look_up_beyond_loopback_is_refused() -> None:
    with pytest.raises(httpx.ConnectError, match="tests stay on this machine"):
        httpx.get("https://example.com/", timeout=1)


def test_the_fake_server_on_loopback_answers(fake_server: FakeServer) -> None:
    assert httpx.get(f"{fake_server.base_url}/models", timeout=5).status_code in (200, 401)
