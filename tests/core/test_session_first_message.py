"""A first message that cannot be stored leaves no empty conversation behind (`toki --resume last` would open
it)."""

from __future__ import annotations

import pytest

from toki_tui.core.api.events import ContentDelta
from toki_tui.core.errors import HistoryError
from toki_tui.core.session import ChatSession
from toki_tui.core.store.history_store import HistoryStore


async def test_a_first_message_that_cannot_be_stored_leaves_no_conversation(
    session: ChatSession, store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise HistoryError("the disk is full")

    monkeypatch.setattr(store, "add_message", refuse)
    text = []
    async for batch in session.send_batches("hello"):
        text += [event.text for event in batch if isinstance(event, ContentDelta)]
    assert text  # the question is still answered, from memory
    assert session.save_problem is not None and "the disk is full" in session.save_problem
    assert store.list_conversations(include_archived=True) == []
    assert session.conversation_id is None
