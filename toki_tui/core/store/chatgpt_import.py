"""Reading ChatGPT's data export (`conversations.json`) into toki conversations.

Each ChatGPT conversation holds a `mapping` of nodes `{id, message, parent, children}` forming a tree (edits
and regenerations are branches, as in toki) and a `current_node`, the leaf the user last saw. Nodes without a
message (the root), empty system messages, hidden messages and the model's internal "thoughts" are skipped;
their children attach to the nearest kept ancestor, so the tree keeps its shape. Images and other non-text
parts become a short placeholder. The toki id is derived from ChatGPT's id, so importing the same file twice
adds nothing the second time.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

from toki_tui.core.errors import HistoryError
from toki_tui.core.store.records import Conversation, title_from_text
from toki_tui.core.store.tree import ImportedMessage
from toki_tui.core.store.values import is_sane_time

ENDPOINT_NAME = "chatgpt"
"""The endpoint recorded for imported conversations (toki cannot continue them on chatgpt.com)."""

_SKIPPED_CONTENT_TYPES = frozenset({"thoughts", "reasoning_recap", "model_editable_context", "user_editable_context"})
_ROLE_NAMES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "tool"}


def is_chatgpt_conversation(item: dict[str, Any]) -> bool:
    return isinstance(item.get("mapping"), dict)


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        kind = str(part.get("content_type", ""))
        if "image" in kind:
            return "[image]"
        if "audio" in kind:
            return "[audio]"
        text = part.get("text")
        if isinstance(text, str):
            return text
        return f"[{kind or 'attachment'}]"
    return ""


def _content_text(content: Any) -> str | None:
    """The message text, or None for a message that is not meant to be shown."""
    if not isinstance(content, dict):
        return None
    kind = content.get("content_type")
    if kind in _SKIPPED_CONTENT_TYPES:
        return None
    if isinstance(content.get("parts"), list):
        return "\n".join(text for text in (_part_text(part) for part in content["parts"]) if text)
    for key in ("text", "result"):
        if isinstance(content.get(key), str):
            return str(content[key])
    return None


def _time(value: Any, default: float, where: str) -> float:
    """A ChatGPT time (seconds since the epoch, or null when unknown, which takes `default`)."""
    if value is None:
        return default
    if not is_sane_time(value):
        raise HistoryError(f"{where} is not a time between the years 1970 and 9999 ({value!r})")
    return float(value)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _kept_message(message: Any, conversation_time: float, where: str) -> ImportedMessage | None:
    if not isinstance(message, dict):
        return None
    author = _mapping(message.get("author"))
    role = _ROLE_NAMES.get(str(author.get("role")))
    metadata = _mapping(message.get("metadata"))
    if role is None or metadata.get("is_visually_hidden_from_conversation"):
        return None
    text = _content_text(message.get("content"))
    if text is None or (role == "system" and not text.strip()):
        return None
    status, finish_reason = "complete", None
    finish = metadata.get("finish_details")
    if isinstance(finish, dict) and finish.get("type") == "max_tokens":
        status, finish_reason = "length", "length"
    elif isinstance(finish, dict) and finish.get("type") in {"stop", "interrupted"}:
        finish_reason = "stop"
        status = "stopped" if finish.get("type") == "interrupted" else "complete"
    model = metadata.get("model_slug")
    return ImportedMessage(
        parent_index=None,
        role=role,
        content=text,
        created_at=_time(message.get("create_time"), conversation_time, f"{where}.create_time"),
        status=status,
        name=str(author["name"]) if role == "tool" and isinstance(author.get("name"), str) else None,
        model=str(model) if role == "assistant" and isinstance(model, str) else None,
        endpoint=ENDPOINT_NAME if role == "assistant" else None,
        finish_reason=finish_reason,
    )


def _walk_order(mapping: dict[str, Any]) -> list[str]:
    """Node ids, each parent before its children, children in ChatGPT's order."""
    roots = [
        node_id for node_id, node in mapping.items() if not isinstance(node, dict) or node.get("parent") not in mapping
    ]
    order: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(roots))
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in mapping:
            continue
        seen.add(node_id)
        order.append(node_id)
        node = mapping[node_id]
        children = node.get("children") if isinstance(node, dict) else None
        stack.extend(reversed([child for child in children or [] if isinstance(child, str)]))
    return order


def _one_conversation(item: dict[str, Any], where: str) -> tuple[Conversation, list[ImportedMessage]]:
    mapping: dict[str, Any] = item["mapping"]
    source_id = item.get("conversation_id") or item.get("id")
    if not isinstance(source_id, str) or not source_id:
        raise HistoryError(f"{where} has no conversation id")
    created_at = _time(item.get("create_time"), time.time(), f"{where}.create_time")
    messages: list[ImportedMessage] = []
    kept_index: dict[str, int | None] = {}  # node id -> index of itself or its nearest kept ancestor
    for node_id in _walk_order(mapping):
        node = mapping[node_id] if isinstance(mapping[node_id], dict) else {}
        parent = node.get("parent")
        parent_index = kept_index.get(parent) if isinstance(parent, str) else None
        message = _kept_message(node.get("message"), created_at, f"{where}.mapping[{node_id!r}].message")
        if message is None:
            kept_index[node_id] = parent_index
            continue
        messages.append(dataclasses.replace(message, parent_index=parent_index))
        kept_index[node_id] = len(messages) - 1
    current = item.get("current_node")
    leaf = kept_index.get(current) if isinstance(current, str) else None
    if leaf is None and messages:
        leaf = len(messages) - 1
    models = [message.model for message in messages if message.model]
    model = item.get("default_model_slug") if isinstance(item.get("default_model_slug"), str) else None
    first_user = next((message.content for message in messages if message.role == "user"), "")
    title = item.get("title") if isinstance(item.get("title"), str) and item.get("title") else None
    conversation = Conversation(
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"chatgpt:{source_id}").hex,
        title=" ".join(title.split()) if title else title_from_text(first_user),
        created_at=created_at,
        updated_at=_time(item.get("update_time"), created_at, f"{where}.update_time"),
        endpoint=ENDPOINT_NAME,
        model=model or (models[-1] if models else ""),
        system_prompt=None,
        params={},
        current_leaf_id=leaf,
        archived=bool(item.get("is_archived", False)),
        pinned=False,
        message_count=len(messages),
    )
    return conversation, messages


def chatgpt_conversations(items: list[Any], source_name: str) -> list[tuple[Conversation, list[ImportedMessage]]]:
    return [_one_conversation(item, f"{source_name}[{number}]") for number, item in enumerate(items)]
