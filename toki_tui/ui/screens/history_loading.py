"""Reading the history store for the chat screen: the conversation list, search hits, a conversation's messages.

Plain functions over the store (no widgets), called from the chat screen's workers; they turn store rows into
what the widgets are given (HistoryEntry, DisplayMessage).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toki_tui.core.api.params import ChatParams, ParameterError
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.search_marks import matched_words
from toki_tui.ui.widgets.history_list import HistoryEntry

if TYPE_CHECKING:
    from toki_tui.core.store.history_store import Conversation, HistoryStore, StoredMessage

HISTORY_PAGE = 200
"""Conversations listed in the sidebar; searching reaches the rest."""
MESSAGE_PAGE = 60
"""Messages fetched when a conversation opens, and each time the user scrolls above them."""
HIT_CONTEXT = 5
"""Messages above a search hit loaded with it, so the question before the hit can be read without a wait."""


@dataclass(frozen=True, slots=True)
class LoadedConversation:
    conversation_id: str
    title: str
    model: str | None
    system_prompt: str | None
    params: ChatParams
    messages: list[DisplayMessage]
    has_older: bool


def _when(stamp: float) -> str:
    """A short relative time for the list: "14:05", "Mon", "3 Mar", "2023"."""
    moment, now = time.localtime(stamp), time.localtime()
    age = time.time() - stamp
    if moment.tm_year == now.tm_year and moment.tm_yday == now.tm_yday:
        return time.strftime("%H:%M", moment)
    if 0 <= age < 6 * 86400:
        return time.strftime("%a", moment)
    if moment.tm_year == now.tm_year:
        return time.strftime("%d %b", moment).lstrip("0")
    return time.strftime("%Y", moment)


def entry_for(conversation: Conversation) -> HistoryEntry:
    # When, how long, then the model: the list cuts this line to its width, so the model goes last. The whole id,
    # as the user types it: its last path part alone can be meaningless ("fault/401" would show as "401").
    details = [
        part
        for part in (
            _when(conversation.updated_at),
            f"{conversation.message_count} msg",
            conversation.model,
        )
        if part
    ]
    return HistoryEntry(
        conversation_id=conversation.id, title=conversation.title or "Untitled", detail=" · ".join(details)
    )


def list_entries(store: HistoryStore, limit: int = HISTORY_PAGE) -> list[HistoryEntry]:
    return [entry_for(conversation) for conversation in store.list_conversations(limit=limit)]


def search_entries(store: HistoryStore, query: str, limit: int = HISTORY_PAGE) -> list[HistoryEntry]:
    """One row per conversation that matches, best first, with the snippet of its best hit."""
    entries: dict[str, HistoryEntry] = {}
    for hit in store.search(query, limit=limit):
        if hit.conversation_id in entries:
            continue
        snippet = " ".join(hit.snippet.split())
        entries[hit.conversation_id] = HistoryEntry(
            hit.conversation_id,
            hit.title or "Untitled",
            snippet,
            message_id=hit.message_id,
            matched=matched_words(hit.snippet),
        )
    return list(entries.values())


def _params_of(conversation: Conversation) -> ChatParams:
    try:
        return ChatParams.from_record(conversation.params)
    except ParameterError:
        return ChatParams()  # settings saved by another version that this one refuses: start from defaults


def load_conversation(store: HistoryStore, reference: str, limit: int = MESSAGE_PAGE) -> LoadedConversation:
    """The conversation named by an id, a unique prefix or "last", with its latest messages.

    Raises the store's error (a TokiError) when the reference matches nothing or more than one.
    """
    conversation = store.get_conversation(store.resolve_conversation_ref(reference))
    messages, has_older = store.latest_messages(conversation.id, limit=limit)
    return _loaded(store, conversation, messages, has_older=has_older)


def _loaded(
    store: HistoryStore, conversation: Conversation, messages: list[StoredMessage], *, has_older: bool
) -> LoadedConversation:
    positions = store.sibling_positions(conversation.id)
    return LoadedConversation(
        conversation_id=conversation.id,
        title=conversation.title or "Untitled",
        model=conversation.model,
        system_prompt=conversation.system_prompt,
        params=_params_of(conversation),
        messages=[_displayed(message, positions) for message in messages],
        has_older=has_older,
    )


def load_older(
    store: HistoryStore, conversation_id: str, before_message_id: int, limit: int = MESSAGE_PAGE
) -> tuple[list[DisplayMessage], bool]:
    messages, has_older = store.older_messages(conversation_id, before_message_id, limit=limit)
    positions = store.sibling_positions(conversation_id)
    return [_displayed(message, positions) for message in messages], has_older


def _displayed(message: StoredMessage, positions: dict[int, tuple[int, int]]) -> DisplayMessage:
    """The message as shown, with its place among its siblings (`‹ 2/3 ›`) when it has any."""
    shown = DisplayMessage.from_stored(message)
    position = positions.get(message.id)
    return shown if position is None else dataclasses.replace(shown, siblings=position)


def load_conversation_at(store: HistoryStore, conversation_id: str, message_id: int) -> LoadedConversation:
    """The conversation on the branch through `message_id` (a search hit, maybe on a branch not shown), from a
    few messages above the hit down to that branch's deepest leaf. The messages above the ones loaded come as the
    user scrolls up, as for any conversation."""
    conversation = store.get_conversation(conversation_id)
    branch = store.branch(conversation_id, leaf_id=store.deepest_leaf(message_id))
    index = next((i for i, message in enumerate(branch) if message.id == message_id), 0)
    start = max(0, min(index - HIT_CONTEXT, len(branch) - MESSAGE_PAGE))
    return _loaded(store, conversation, branch[start:], has_older=start > 0)
