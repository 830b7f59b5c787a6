"""Reading a conversation's branch for a request: which messages are sent back as context, the branch a retry or
a continuation works on, and the messages a session keeps in memory when there is no store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toki_tui.core.api.params import ChatMessage
from toki_tui.core.attachments import attachments_from_records, message_content
from toki_tui.core.continuation import CONTINUABLE_STATUSES
from toki_tui.core.errors import APIError

if TYPE_CHECKING:
    from toki_tui.core.store.history_store import HistoryStore, StoredMessage

#: Replies in these states carry no text worth sending back as context.
_SKIPPED_IN_CONTEXT = frozenset({"error"})


@dataclass
class MemoryMessage:
    """A message kept in memory when there is no store."""

    role: str
    content: str
    status: str = "complete"
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] | None = None


def memory_copy(branch: list[Any], *, leaving_out: set[int | None]) -> list[MemoryMessage]:
    """A branch (stored or sent) as messages kept in memory, without the messages whose ids are `leaving_out`."""
    return [
        MemoryMessage(
            message.role,
            message.content if isinstance(message.content, str) else "",
            status=getattr(message, "status", "complete"),
            tool_calls=list(message.tool_calls) if message.tool_calls else None,
            tool_call_id=message.tool_call_id,
            name=message.name,
            attachments=getattr(message, "attachments", None),
        )
        for message in branch
        if getattr(message, "id", None) not in leaving_out or getattr(message, "id", None) is None
    ]


def branch_to_answer(store: HistoryStore, conversation_id: str, message_id: int) -> list[StoredMessage]:
    """The branch a new reply to `message_id` answers: up to the question (a reply's parent, or the question
    itself)."""
    message = store.get_message(message_id)
    if message.conversation_id != conversation_id:
        raise APIError(f"message {message_id} is not in this conversation")
    leaf = message.parent_id if message.role == "assistant" else message.id
    return store.branch(conversation_id, leaf) if leaf is not None else []


def branch_to_continue(store: HistoryStore, conversation_id: str, leaf: int | None) -> list[StoredMessage]:
    """The branch ending with the reply to continue, which must end its branch: a reply with messages under it
    would no longer lead to them once longer."""
    branch = store.branch(conversation_id, leaf)
    if not branch:
        raise APIError("there is no reply to continue")
    if store.deepest_leaf(branch[-1].id) != branch[-1].id:
        raise APIError("only the last reply of a branch can be continued (messages follow this one)")
    return branch


def check_continuable(role: str, status: str) -> None:
    if role != "assistant":
        raise APIError("there is no reply to continue: the last message is not a reply")
    if status not in CONTINUABLE_STATUSES:
        raise APIError(f"only a reply that was stopped or cut short can be continued (this one is {status})")


def sendable(messages: list[Any]) -> Iterator[ChatMessage]:
    """The messages of a branch as sent back as context: failed and empty replies left out, no reasoning."""
    for message in messages:
        if message.role == "assistant" and message.status in _SKIPPED_IN_CONTEXT and not message.content:
            continue
        if message.role == "assistant" and not message.content and not message.tool_calls:
            continue
        attachments = attachments_from_records(getattr(message, "attachments", None))
        yield ChatMessage(
            message.role,
            message_content(message.content, attachments) if attachments else message.content,
            name=message.name,
            tool_calls=tuple(message.tool_calls) if message.tool_calls else None,
            tool_call_id=message.tool_call_id,
        )
