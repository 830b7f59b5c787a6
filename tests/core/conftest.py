"""Fixtures shared by the core tests: a real history store in a temporary folder, and a chat session on it
talking to the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.server import FakeServer
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatParams
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    history = HistoryStore(tmp_path / "history.sqlite3")
    history.open()
    return history


@pytest.fixture
async def session(fake_server: FakeServer, store: HistoryStore) -> AsyncIterator[ChatSession]:
    client = ChatClient(base_url=fake_server.base_url, api_key="k")
    yield ChatSession(client=client, store=store, endpoint_name="toki", model="m", params=ChatParams())
    await client.aclose()


async def drain(stream: AsyncIterator[object]) -> None:
    async for _ in stream:
        pass
