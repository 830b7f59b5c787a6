"""A reply's token count reads as English wherever it is shown in one line: "1 token", "2 tokens"."""

from __future__ import annotations

from toki_tui.core.reply_facts import reply_measures
from toki_tui.core.store.records import StoredMessage
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.reply_header import reply_header_facts


def _stored(tokens: int) -> StoredMessage:
    return StoredMessage(
        id=1, conversation_id="c", parent_id=None, role="assistant", content="ok", reasoning=None, tool_calls=None,
        tool_call_id=None, name=None, status="complete", created_at=0.0, model="m", endpoint="e", params=None,
        usage={"completion_tokens": tokens}, ttft=None, duration=None, finish_reason="stop", error=None,
    )  # fmt: skip


def test_one_token_is_singular_in_the_header_and_the_summary() -> None:
    one = DisplayMessage(id=1, role="assistant", content="ok", usage={"completion_tokens": 1})
    many = DisplayMessage(id=2, role="assistant", content="ok", usage={"completion_tokens": 1234})
    assert reply_header_facts(one) == " · 1 token"
    assert reply_header_facts(many) == " · 1,234 tokens"
    assert reply_measures(_stored(1)) == ["1 token"]
    assert reply_measures(_stored(0)) == ["0 tokens"]
