"""The stored branch a session's requests carry, kept as the session goes.

Reading the whole branch from the store on every send grew with the conversation (docs/performance.md), so the
sendable messages are kept and extended as messages are stored. `of` names what they match: (conversation id, id
of the branch's last message); None means "read it again". `shown_leaf` is the end of the branch the user is
looking at (None: the conversation's current leaf): requests carry that branch and new messages continue it, even
when another toki process has appended to the conversation meanwhile: what is sent is what is on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toki_tui.core.api.params import ChatMessage
from toki_tui.core.branch_reading import sendable

if TYPE_CHECKING:
    from toki_tui.core.reply_run import StoreRunner
    from toki_tui.core.store.history_store import HistoryStore, StoredMessage


class BranchContext:
    def __init__(self) -> None:
        self.messages: list[ChatMessage] = []
        self.of: tuple[str, int | None] | None = None
        self.shown_leaf: int | None = None

    def matches(self, conversation_id: str) -> bool:
        return self.of is not None and self.of[0] == conversation_id

    def forget(self, shown_leaf: int | None = None) -> None:
        """Read the branch ending at `shown_leaf` again before the next request."""
        self.of = None
        self.shown_leaf = shown_leaf

    def start_new(self, conversation_id: str) -> None:
        """A conversation just created: its branch is empty."""
        self.messages, self.of = [], (conversation_id, None)

    def end(self, conversation_id: str | None) -> int | None:
        """The last message of the branch requests carry, when known (new messages are stored under it)."""
        if self.of is not None and self.of[0] == conversation_id:
            return self.of[1]
        return self.shown_leaf

    def stored(self, store: HistoryStore, conversation_id: str) -> list[ChatMessage]:
        """The branch's sendable messages, read now if the kept ones do not match it."""
        if not self.matches(conversation_id):
            self.use(conversation_id, store.branch(conversation_id, self.shown_leaf))
        return self.messages

    async def read(self, run_store: StoreRunner, store: HistoryStore, conversation_id: str) -> None:
        """Read the stored branch through the runner if the kept messages do not match it, so that stored() finds
        it ready (a long branch's read takes several frames' time)."""
        if not self.matches(conversation_id):
            leaf = self.shown_leaf
            branch = await run_store(lambda: store.branch(conversation_id, leaf))
            self.use(conversation_id, branch)

    def use(self, conversation_id: str, branch: list[StoredMessage]) -> None:
        self.messages = list(sendable(branch))
        self.of = (conversation_id, branch[-1].id if branch else None)
        self.shown_leaf = branch[-1].id if branch else None

    def extend(self, message: StoredMessage) -> None:
        """Add a message just stored at the end of the branch. If it was not stored under the branch's last
        message, the tree changed elsewhere (a branch switch, another toki process): read it again when needed."""
        conversation_id = message.conversation_id
        if self.of != (conversation_id, message.parent_id):
            self.of = None
            return
        self.messages.extend(sendable([message]))
        self.of = (conversation_id, message.id)
        self.shown_leaf = message.id
