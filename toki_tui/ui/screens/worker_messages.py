"""Messages the chat screen's workers post back to it. Workers do I/O; the @on handlers change state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # Types only: the records' modules are imported by the workers that make them, after the first frame.
    from toki_tui.core.api.model_info import ModelInfo
    from toki_tui.ui.display import DisplayMessage
    from toki_tui.ui.screens.history_loading import LoadedConversation
    from toki_tui.ui.widgets.history_list import HistoryEntry


class ModelsLoaded(Message):
    """A model list is known: first the cache and the config's models, then (if it worked) the server's."""

    def __init__(self, models: Sequence[ModelInfo], *, note: str, final: bool) -> None:
        super().__init__()
        self.models = list(models)
        self.note = note
        self.final = final


class HistoryLoaded(Message):
    def __init__(self, entries: Sequence[HistoryEntry], *, query: str) -> None:
        super().__init__()
        self.entries = list(entries)
        self.query = query


class ConversationLoaded(Message):
    def __init__(self, conversation: LoadedConversation, hit: HistoryEntry | None = None) -> None:
        super().__init__()
        self.conversation = conversation
        self.hit = hit
        """A search hit to scroll to and highlight, once shown."""


class ConversationLoadFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class OlderMessagesLoaded(Message):
    def __init__(self, conversation_id: str, messages: Sequence[DisplayMessage], *, has_older: bool) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.messages = list(messages)
        self.has_older = has_older


class ConversationRenamed(Message):
    """The new title is stored."""

    def __init__(self, conversation_id: str, title: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.title = title


class StoreFailed(Message):
    """A store call of a worker failed; `text` says which and why, for a notification."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ReplyStateChanged(Message):
    """The reply moved to another state ("waiting", "streaming", "retrying"); `notice` is shown in the status."""

    def __init__(self, state: str, *, retry_delay: float | None = None, reason: str = "") -> None:
        super().__init__()
        self.state = state
        self.retry_delay = retry_delay
        self.reason = reason


class ReplyEnded(Message):
    """The reply finished: complete, length, stopped or error (with the server's message)."""

    def __init__(
        self,
        *,
        status: str,
        error: str | None,
        usage: dict[str, int] | None,
        conversation_id: str | None,
        retry_after: float | None,
        was_retry: bool,
        cost: float | None = None,
        unpriced: int = 0,
        cost_reported: bool = False,
    ) -> None:
        super().__init__()
        self.cost = cost
        """The cost of the turn's priced replies (one, or a compare turn's), None when none was priced;
        `cost_reported` says whether the server reported all of it (else some is an estimate), `unpriced` counts
        the replies whose cost is unknown although they may have cost something."""
        self.unpriced = unpriced
        self.cost_reported = cost_reported
        self.status = status
        self.error = error
        self.usage = usage
        self.conversation_id = conversation_id
        self.retry_after = retry_after
        self.was_retry = was_retry
