"""What a row of the history list says about a conversation."""

from __future__ import annotations

import time

import pytest

from toki_tui.core.store.records import Conversation
from toki_tui.ui.screens.history_loading import entry_for


def conversation(model: str) -> Conversation:
    now = time.time()
    return Conversation(
        id="c" * 32,
        title="A title",
        created_at=now,
        updated_at=now,
        endpoint="toki",
        model=model,
        system_prompt=None,
        params={},
        current_leaf_id=None,
        archived=False,
        pinned=False,
        message_count=4,
    )


@pytest.mark.parametrize("model", ["fault/401", "deepseek/deepseek-chat-v3", "gpt-4o", "org/team/model:free"])
def test_a_row_names_the_model_by_its_whole_id(model: str) -> None:
    entry = entry_for(conversation(model))
    assert entry.detail.endswith(f" · 4 msg · {model}")
    assert entry.title == "A title"
