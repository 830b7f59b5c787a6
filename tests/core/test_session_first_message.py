"""A first message that cannot be stored leaves no empty conversation behind (`toki --resume last` would open
it)."""

from __future__ import annotations

import pytest

from toki_tui.core.errors import HistoryError
from toki_tui.core.session import ChatSession
from toki_tui.core.store import HistoryStore


async def test_a_first_message_that_cannot_be_stored_leaves_no_conversation(
    session: ChatSession, store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise HistoryError("the disk is full")

    monkeypatch.setattr(store, "add_message", refuse)
    with pytest.raises(HistoryError):
        async for _ in session.send_batches("hello"):
            pass
    assert store.list_conversations(include_archived=True) == []
    assert session.conversation_id is None
