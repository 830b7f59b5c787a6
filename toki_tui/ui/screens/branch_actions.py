"""The chat screen's branches and reply actions: walking to a message's siblings, regenerating any reply, editing a
past question, continuing a reply that was cut short.

Messages post what the user asked for (toki_tui.ui.widgets.message_actions); the screen's handlers call the
methods here, which check it can be done, and workers read and write the history on the store thread. Every action
that changes the tree ends by showing the conversation again from the store, so the `‹ 2/3 ›` markers and the
branch on screen are the stored ones, and the session is told which branch that is (requests carry exactly that
branch).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.widgets import Static

from toki_tui.core.errors import TokiError
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.screens.worker_messages import ConversationLoaded, ReplyEnded, StoreFailed
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_actions import (
    EditWanted,
    MessageAction,
    RegenerateWanted,
    SiblingWanted,
    can_continue,
)
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.api.events import StreamEvent
    from toki_tui.core.attachments import Attachment
    from toki_tui.core.session import ChatSession
    from toki_tui.core.store.history_store import HistoryStore
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.display import DisplayMessage
    from toki_tui.ui.screens.history_browser import HistoryBrowser
    from toki_tui.ui.screens.history_loading import LoadedConversation
    from toki_tui.ui.screens.reply_runner import ReplyRunner


class BranchShown(Message):
    """Another sibling's branch is now the conversation's current one; `focus_id` is the sibling."""

    def __init__(self, loaded: LoadedConversation, focus_id: int) -> None:
        super().__init__()
        self.loaded = loaded
        self.focus_id = focus_id


class EditReady(Message):
    """The question to edit, read from the history: its text and its place in the branch (1-based)."""

    def __init__(self, message_id: int, number: int, content: str, files: int = 0) -> None:
        super().__init__()
        self.message_id = message_id
        self.number = number
        self.content = content
        self.files = files
        """How many files the question has: they go with the edited one (and any attached meanwhile)."""


def switch_to_sibling(
    store: HistoryStore, conversation_id: str, message_id: int, step: int
) -> tuple[LoadedConversation, int] | None:
    """On the store thread: make the branch under the sibling `step` places from `message_id` (its newest
    continuation) the conversation's current one, and read it. None when there is no sibling there."""
    from toki_tui.ui.screens import history_loading

    siblings = [sibling.id for sibling in store.siblings(message_id)]
    index = siblings.index(message_id) + step
    if not 0 <= index < len(siblings):
        return None
    target = siblings[index]
    store.set_current_leaf(conversation_id, store.deepest_leaf(target))
    return history_loading.load_conversation(store, conversation_id), target


def _index_of(messages: Sequence[DisplayMessage], message_id: int | None) -> int | None:
    return next((index for index, message in enumerate(messages) if message.id == message_id), None)


class BranchActions:
    """The actions on one message of the conversation. `screen` is the node the workers run on (groups
    "conversation", shared with opening a conversation, and "edit") and the messages go to; `replies` runs the
    new reply; `history` shows a branch once read; `ask_for_api_key` is called instead of a request without one."""

    def __init__(
        self,
        screen: Screen[Any],
        app: TokiApp,
        session: ChatSession,
        *,
        replies: ReplyRunner,
        history: HistoryBrowser,
        ask_for_api_key: Callable[[], None],
    ) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._replies = replies
        self._history = history
        self._ask_for_api_key = ask_for_api_key
        self.editing: int | None = None
        """The question being edited in the prompt (sending asks a sibling of it), or None."""
        self._continuing = False
        self._run_before_question: object | None = None
        """While a question sent from the prompt waits for its reply: the session's run before it (see reply_ended)."""
        self._question_sent = False

    def _can_start_reply(self) -> bool:
        if self._replies.streaming:
            self._app.notify(
                f"A reply is still arriving; {self._app.key_name('chat.stop', 'Esc')} stops it.", severity="warning"
            )
            return False
        if not self._replies.may_start():
            return False
        if self._app.needs_api_key:
            self._ask_for_api_key()
            return False
        if self._session.conversation_id is None:
            self._app.notify("There is no saved conversation on screen yet.", severity="warning")
            return False
        return True

    def _start_branch_reply(self, events: AsyncGenerator[list[StreamEvent], None], *, seed: str = "") -> None:
        # As a retry: once it ends, the conversation is shown again from the store (the new branch, its markers).
        self._replies.start(events, was_retry=True, seed=seed)

    def _view(self) -> ConversationView:
        return self._screen.query_one(ConversationView)

    def act(self, message: MessageAction) -> None:
        """What a message's keys or buttons asked for (widgets/message_actions.py)."""
        if isinstance(message, SiblingWanted):
            self.show_sibling(message.message_id, message.step)
        elif isinstance(message, RegenerateWanted):
            self.regenerate(message.message_id)
        elif isinstance(message, EditWanted):
            self.start_edit(message.message_id)
        else:
            self.continue_reply(message.message_id)

    def receive(self, message: BranchShown | EditReady) -> None:
        """What a worker read (posted to the screen, which hands it here)."""
        if isinstance(message, BranchShown):
            self.branch_shown(message)
        else:
            self.edit_ready(message)

    # ---- siblings -------------------------------------------------------------------------------------------

    def show_sibling(self, message_id: int, step: int) -> None:
        conversation_id = self._session.conversation_id
        if self._replies.streaming:
            self._app.notify(
                f"A reply is still arriving; {self._app.key_name('chat.stop', 'Esc')} stops it first.",
                severity="warning",
            )
        elif conversation_id is not None:
            start_worker(
                self._screen, self._switch, conversation_id, message_id, step, group="conversation", exclusive=True
            )

    async def _switch(self, conversation_id: str, message_id: int, step: int) -> None:
        store = await self._app.history()
        if store is None:
            return
        try:
            shown = await self._app.store_thread.run(
                lambda: switch_to_sibling(store, conversation_id, message_id, step)
            )
        except TokiError as error:
            self._screen.post_message(StoreFailed(f"Could not show that branch: {error}"))
            return
        if shown is not None:
            self._screen.post_message(BranchShown(*shown))

    def branch_shown(self, message: BranchShown) -> None:
        if message.loaded.conversation_id != self._session.conversation_id or self._replies.streaming:
            return
        # As any conversation shown: the session then sends the branch that ends with its last message.
        self._history.show_loaded(ConversationLoaded(message.loaded))
        self._screen.call_after_refresh(self._focus_message, message.focus_id)

    def _focus_message(self, message_id: int) -> None:
        from toki_tui.ui.widgets.message_view import MessageView

        for view in self._view().query(MessageView):
            if view.message.id == message_id:
                view.focus()
                return

    # ---- regenerate -----------------------------------------------------------------------------------------

    def regenerate_last(self) -> None:
        """/regenerate: the last reply on screen."""
        reply = next((m for m in reversed(self._view().messages) if m.role == "assistant" and m.id), None)
        if reply is None or reply.id is None:
            self._app.notify("There is no reply to regenerate.", severity="warning")
            return
        self.regenerate(reply.id)

    def regenerate(self, message_id: int) -> None:
        """A new reply in place of reply `message_id` (its sibling), or to question `message_id`."""
        if not self._can_start_reply():
            return
        view = self._view()
        index = _index_of(view.messages, message_id)
        if index is not None:
            view.keep_first(index if view.messages[index].role == "assistant" else index + 1)
        self._start_branch_reply(self._session.retry_batches(message_id))

    # ---- edit -----------------------------------------------------------------------------------------------

    def edit_last(self) -> None:
        """/edit: the last question on screen."""
        question = next((m for m in reversed(self._view().messages) if m.role == "user" and m.id), None)
        if question is None or question.id is None:
            self._app.notify("There is no saved question to edit.", severity="warning")
            return
        self.start_edit(question.id)

    def start_edit(self, message_id: int) -> None:
        if self._replies.streaming:
            self._app.notify(
                f"A reply is still arriving; {self._app.key_name('chat.stop', 'Esc')} stops it first.",
                severity="warning",
            )
            return
        start_worker(self._screen, self._read_for_edit, message_id, group="edit", exclusive=True)

    async def _read_for_edit(self, message_id: int) -> None:
        store = await self._app.history()
        if store is None:
            return
        try:
            edited, number = await self._app.store_thread.read(
                lambda: (store.get_message(message_id), store.position_in_branch(message_id))
            )
        except TokiError as error:
            self._screen.post_message(StoreFailed(f"Could not read the message to edit: {error}"))
            return
        self._screen.post_message(EditReady(message_id, number, edited.content, len(edited.attachments or ())))

    def edit_ready(self, message: EditReady) -> None:
        self.editing = message.message_id
        prompt = self._screen.query_one(PromptInput)
        prompt.text = message.content
        prompt.move_cursor(prompt.document.end)
        prompt.focus()
        marker = self._screen.query_one("#edit-marker", Static)
        kept = f", which keeps its {message.files} file{'s' if message.files > 1 else ''}" if message.files else ""
        stop = self._app.key_name("chat.stop", "Esc")
        marker.update(plain_content(f"editing message {message.number}{kept} ({stop} cancels)"))
        marker.add_class("-visible")
        self._screen.refresh_bindings()  # Esc now cancels the edit

    def cancel_edit(self, *, clear_prompt: bool = True) -> None:
        self.editing = None
        self._screen.query_one("#edit-marker", Static).remove_class("-visible")
        if clear_prompt:
            self._screen.query_one(PromptInput).clear()
        self._screen.refresh_bindings()

    def conversation_loaded(self, message: ConversationLoaded) -> None:
        if self.editing is not None and message.conversation.conversation_id != self._session.conversation_id:
            self.cancel_edit()  # the question edited belongs to the conversation left

    def events_for_prompt(
        self, text: str, attachments: tuple[Attachment, ...] = ()
    ) -> tuple[AsyncGenerator[list[StreamEvent], None], bool]:
        """What sending `text` (with `attachments`) does: ask it (events, False), or, while a question is edited,
        ask it in its place with the old question's files and `attachments` (events, True: the conversation is
        shown again once the reply ends)."""
        edited = self.editing
        if edited is None:
            self._question_sent, self._run_before_question = True, self._session.last_run
            return self._session.send_batches(text, attachments), False
        self.cancel_edit(clear_prompt=False)
        view = self._view()
        index = _index_of(view.messages, edited)
        if index is not None:
            view.keep_first(index)
        return self._session.edit_batches(edited, text, attachments), True

    # ---- continue -------------------------------------------------------------------------------------------

    def continue_reply(self, message_id: int | None = None) -> None:
        """Have the model go on with reply `message_id` (by default the last message on screen), which must have
        been cut short and end the branch on screen."""
        if not self._can_start_reply():
            return
        messages = self._view().messages
        index = len(messages) - 1 if message_id is None else _index_of(messages, message_id)
        if index is None or index < 0 or not can_continue(messages[index]) or messages[index].id is None:
            self._app.notify("Only a reply that was stopped or cut short can be continued.", severity="warning")
            return
        if index != len(messages) - 1:
            self._app.notify("Only the last reply of the branch on screen can be continued.", severity="warning")
            return
        partial = messages[index]
        self._view().keep_first(index)
        self._continuing = True
        self._start_branch_reply(self._session.continue_batches(partial.id), seed=partial.content)

    def reply_ended(self, message: ReplyEnded) -> None:
        # The conversation is shown again from the store: a continuation that failed before its first byte left
        # the reply as it was, so the error is said here or not at all.
        if self._continuing and message.status == "error" and message.error:
            self._app.notify(f"The reply was not continued: {message.error}", severity="error", timeout=8)
        self._continuing = False
        self._mark_question_saved()

    def _mark_question_saved(self) -> None:
        """A question sent from the prompt is shown before it is stored: once its reply ends, its view gets the id
        it was stored under (the reply's parent), so Ctrl+E and /edit reach it without reopening the conversation.
        A run that did not start (no key, stopped while waiting) leaves the session's last run as it was."""
        if not self._question_sent:
            return
        self._question_sent = False
        run = self._session.last_run
        if run is None or run is self._run_before_question or run.parent_id is None:
            return
        view = self._view()
        question = next((m for m in reversed(view.messages) if m.role == "user"), None)
        if question is not None and question.id is None:
            view.mark_saved(question, run.parent_id)
            start_worker(self._screen, self._show_question_siblings, run.parent_id, group="siblings")

    async def _show_question_siblings(self, question_id: int) -> None:
        """The question just asked has siblings when another process (`toki ask -c`) added a turn under the same
        message meanwhile (the branch sent was the one on screen): the conversation is shown again from the store,
        so the question's `‹ 2/2 ›` shows and ← reaches that branch."""
        from toki_tui.ui.screens import history_loading

        store, conversation_id = await self._app.history(), self._session.conversation_id
        if store is None or conversation_id is None:
            return

        def read() -> LoadedConversation | None:
            if len(store.siblings(question_id)) < 2:
                return None
            return history_loading.load_conversation(store, conversation_id)

        try:
            loaded = await self._app.store_thread.read(read)
        except TokiError:
            return  # the markers only; the store's trouble is reported by what writes to it
        if loaded is None or loaded.conversation_id != self._session.conversation_id or self._replies.streaming:
            return
        self._history.show_loaded(ConversationLoaded(loaded))
        self._app.notify(
            "This conversation was continued outside this window meanwhile (such as by toki ask -c): your "
            "question starts a branch beside that one; click its ‹, or press ← on it, to see it.",
            title="Branch",
        )
