"""The part of the chat screen that reads the history: opening a conversation (and its older messages as the
user scrolls up), the history list with its search, renaming, and starting afresh.

Workers read the store and post messages; the handlers below change the session and the widgets. Every store
call runs on the app's store thread (awaited by these async workers): none runs on the event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.binding import Binding, BindingType
from textual.screen import Screen

from toki_tui.core.config.config_file import parameters_for_endpoint
from toki_tui.core.errors import TokiError
from toki_tui.core.session import ChatSession
from toki_tui.ui.safe_text import plain_line
from toki_tui.ui.screens.sidebar_layout import Sidebar
from toki_tui.ui.screens.worker_messages import (
    ConversationLoaded,
    ConversationLoadFailed,
    ConversationRenamed,
    HistoryLoaded,
    OlderMessagesLoaded,
    StoreFailed,
)
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryEntry, HistoryList
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from toki_tui.ui.app import TokiApp


class ConversationScreen(Screen[None]):
    """Base of ChatScreen: owns `session` and everything about which conversation is shown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f3", "toggle_thinking", "Thinking", show=False, id="chat.thinking"),
    ]

    session: ChatSession
    streaming: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.pending_title: str | None = None
        self._history_query = ""

    @property
    def toki(self) -> TokiApp:
        return cast("TokiApp", self.app)

    def _show_session_settings(self) -> None:
        session = self.session
        self.query_one(ParameterSidebar).show_settings(
            model=session.model, params=session.params, system_prompt=session.system_prompt
        )
        self.query_one(StatusLine).model_id = session.model

    def action_stop_reply(self) -> None:
        """Overridden by ChatScreen; a conversation cannot change under a streaming reply."""

    def _sidebar_shown(self, which: Sidebar) -> bool:
        return True

    # ---- conversations --------------------------------------------------------------------------------------

    @work(exclusive=True, group="conversation", exit_on_error=False)
    async def open_conversation(self, reference: str) -> None:
        from toki_tui.ui.screens import history_loading  # with its records, not needed for the first frame

        store = await self.toki.history()
        if store is None:
            return  # the app is quitting with the error
        try:
            # Exclusive: a conversation chosen meanwhile cancels this one, and only the last one is shown.
            loaded = await self.toki.store_thread.read(lambda: history_loading.load_conversation(store, reference))
        except TokiError as error:
            self.post_message(ConversationLoadFailed(str(error)))
            return
        self.post_message(ConversationLoaded(loaded))

    @on(ConversationLoaded)
    def _conversation_loaded(self, message: ConversationLoaded) -> None:
        loaded = message.conversation
        session = self.session
        if session.conversation_id != loaded.conversation_id:
            session.conversation_id = loaded.conversation_id
            session.model = loaded.model or session.model
            session.params = loaded.params
            session.system_prompt = loaded.system_prompt
        # else: the open conversation shown again (after a retry): the settings in use stay, they may be newer
        # than the stored ones (a /model just typed is saved when typing pauses).
        # The next request reads, once, the branch that ends with the last message shown.
        session.forget_context(loaded.messages[-1].id if loaded.messages else None)
        self._show_session_settings()
        self.query_one(ConversationView).show_messages(loaded.messages, has_older=loaded.has_older)
        self.query_one(ConversationView).border_title = plain_line(loaded.title)
        self.query_one(StatusLine).last_usage = next((m.usage for m in reversed(loaded.messages) if m.usage), None)
        if message.hit is not None and message.hit.message_id is not None:
            shown = self.query_one(ConversationView).reveal(message.hit.message_id)
            if shown is not None:
                shown.mark_words(message.hit.matched)

    @on(ConversationLoadFailed)
    def _conversation_load_failed(self, message: ConversationLoadFailed) -> None:
        self.notify(f"Could not open the conversation: {message.reason}", severity="error", timeout=8)

    @on(ConversationView.OlderMessagesWanted)
    def _older_wanted(self, message: ConversationView.OlderMessagesWanted) -> None:
        if self.session.conversation_id is not None:
            self.load_older(self.session.conversation_id, message.before_message_id)

    @work(exclusive=True, group="older", exit_on_error=False)
    async def load_older(self, conversation_id: str, before_message_id: int) -> None:
        from toki_tui.ui.screens import history_loading

        store = await self.toki.history()
        if store is None:
            return
        try:
            messages, has_older = await self.toki.store_thread.read(
                lambda: history_loading.load_older(store, conversation_id, before_message_id)
            )
        except TokiError as error:
            self.post_message(ConversationLoadFailed(str(error)))
            return
        self.post_message(OlderMessagesLoaded(conversation_id, messages, has_older=has_older))

    @on(OlderMessagesLoaded)
    def _older_loaded(self, message: OlderMessagesLoaded) -> None:
        if message.conversation_id == self.session.conversation_id:
            self.query_one(ConversationView).prepend_older(message.messages, has_older=message.has_older)

    @on(ConversationView.TypedHere)
    def _typed_in_conversation(self, message: ConversationView.TypedHere) -> None:
        prompt = self.query_one(PromptInput)
        self.set_focus(prompt)  # at once, so the next keys go straight to the prompt, in order
        if message.submit:
            prompt.action_submit()
        else:
            prompt.insert(message.text)

    def action_toggle_thinking(self) -> None:
        """Fold or unfold the newest message's reasoning (a key of the screen: the pane has no letter keys)."""
        self.query_one(ConversationView).action_toggle_reasoning()

    @on(PromptInput.ScrollRequested)
    def _scroll_requested(self, message: PromptInput.ScrollRequested) -> None:
        view = self.query_one(ConversationView)
        if message.where == "page_up":
            view.page_up()
        elif message.where == "page_down":
            view.page_down()
        elif message.where == "oldest":
            view.scroll_to_oldest()
        else:
            view.scroll_to_latest()

    def action_new_conversation(self) -> None:
        if self.streaming:
            self.action_stop_reply()
        app = self.toki
        self.session.conversation_id = None
        self.pending_title = None
        self.query_one(ConversationView).clear()
        self.query_one(ConversationView).border_title = ""
        self.query_one(StatusLine).last_usage = None
        self.session.params = parameters_for_endpoint(app.config, app.endpoint.name)
        self.session.system_prompt = app.config.system_prompt
        self._show_session_settings()
        self.query_one(PromptInput).focus()

    def rename_conversation(self, title: str) -> None:
        conversation_id = self.session.conversation_id
        if conversation_id is None:
            self.pending_title = title
            self.notify("The title will be set when the first message is saved.")
            return
        self._rename(conversation_id, title)

    @work(group="rename", exit_on_error=False)
    async def _rename(self, conversation_id: str, title: str) -> None:
        store = await self.toki.history()
        if store is None:
            return
        try:
            await self.toki.store_thread.run(lambda: store.rename_conversation(conversation_id, title))
        except TokiError as error:
            self.post_message(StoreFailed(f"Could not rename: {error}"))
            return
        self.post_message(ConversationRenamed(conversation_id, title))

    @on(ConversationRenamed)
    def _renamed(self, message: ConversationRenamed) -> None:
        if message.conversation_id == self.session.conversation_id:
            self.query_one(ConversationView).border_title = plain_line(message.title)
        self.load_history(self._history_query)

    @on(StoreFailed)
    def _store_failed(self, message: StoreFailed) -> None:
        self.notify(message.text, severity="error")

    # ---- the history list -----------------------------------------------------------------------------------

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_history(self, query: str) -> None:
        from toki_tui.ui.screens import history_loading

        store = await self.toki.history()
        if store is None:
            return
        words = query.strip()
        try:
            # Exclusive: each key typed in the search replaces the read before it, which is dropped if not begun.
            if words:
                entries = await self.toki.store_thread.read(lambda: history_loading.search_entries(store, words))
            else:
                entries = await self.toki.store_thread.read(lambda: history_loading.list_entries(store))
        except TokiError as error:
            self.post_message(StoreFailed(f"Could not read the history: {error}"))
            return
        self.post_message(HistoryLoaded(entries, query=query))

    @on(HistoryLoaded)
    def _history_loaded_message(self, message: HistoryLoaded) -> None:
        if message.query == self._history_query:
            self.query_one(HistoryList).show_entries(message.entries, current_id=self.session.conversation_id)

    @on(HistoryList.SearchChanged)
    def _history_search(self, message: HistoryList.SearchChanged) -> None:
        self._history_query = message.query
        self.load_history(message.query)

    @on(HistoryList.ConversationChosen)
    def _history_chosen(self, message: HistoryList.ConversationChosen) -> None:
        if self.streaming:
            self.notify("A reply is still arriving; Esc stops it first.", severity="warning")
            return
        if message.hit is not None:
            self.open_search_hit(message.hit)
        else:
            self.open_conversation(message.conversation_id)
        self.query_one(PromptInput).focus()

    @work(exclusive=True, group="conversation", exit_on_error=False)
    async def open_search_hit(self, hit: HistoryEntry) -> None:
        """Open the hit's conversation on the hit's branch, scrolled to the hit, its matched words highlighted."""
        from toki_tui.ui.screens import history_loading

        store, message_id = await self.toki.history(), hit.message_id
        if store is None or message_id is None:
            return
        try:
            loaded = await self.toki.store_thread.read(
                lambda: history_loading.load_conversation_at(store, hit.conversation_id, message_id)
            )
        except TokiError as error:
            self.post_message(ConversationLoadFailed(str(error)))
            return
        self.post_message(ConversationLoaded(loaded, hit))
