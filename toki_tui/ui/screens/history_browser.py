"""Which conversation the chat shows, read from the history: opening one (and its older messages as the user
scrolls up), the history list with its search, renaming, and starting afresh.

Workers read the store on the app's store thread and post messages (screens/worker_messages.py) to the screen,
whose handlers call the methods here: none of it runs a store call on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from toki_tui.core.config.config_file import parameters_for_endpoint
from toki_tui.core.errors import TokiError
from toki_tui.ui.safe_text import plain_line
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
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.session_settings import SessionSettings


HistoryRead = ConversationLoadFailed | OlderMessagesLoaded | HistoryLoaded | ConversationRenamed
"""The workers' messages `receive` takes (ConversationLoaded goes to `show_loaded`, after BranchActions)."""


class HistoryBrowser:
    """`screen` is the node the workers run on (groups "conversation", "older", "history", "rename") and the
    messages go to; `settings` shows a conversation's settings once it is open; `shown` is told the id of each
    conversation shown (None for a new one)."""

    def __init__(
        self,
        screen: Screen[Any],
        app: TokiApp,
        session: ChatSession,
        settings: SessionSettings,
        shown: Callable[[str | None], object],
    ) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._settings = settings
        self._shown = shown
        self.pending_title: str | None = None
        """A title given (/title) before the conversation was saved: set once its first message is."""
        self.query = ""
        """The history list's search, "" for the whole list."""

    def receive(self, message: HistoryRead) -> None:
        """What a worker read or wrote (posted to the screen, which hands it here)."""
        if isinstance(message, ConversationLoadFailed):
            self._app.notify(f"Could not open the conversation: {message.reason}", severity="error", timeout=8)
        elif isinstance(message, OlderMessagesLoaded):
            self.show_older(message)
        elif isinstance(message, HistoryLoaded):
            self.show_history(message)
        else:
            self.renamed(message)

    # ---- conversations --------------------------------------------------------------------------------------

    def open_conversation(self, reference: str) -> None:
        # Exclusive: a conversation chosen meanwhile cancels this one, and only the last one is shown.
        start_worker(self._screen, self._open, reference, group="conversation", exclusive=True)

    async def _open(self, reference: str) -> None:
        from toki_tui.ui.screens import history_loading  # with its records, not needed for the first frame

        store = await self._app.history()
        if store is None:
            return  # the app is quitting with the error
        try:
            loaded = await self._app.store_thread.read(lambda: history_loading.load_conversation(store, reference))
        except TokiError as error:
            self._screen.post_message(ConversationLoadFailed(str(error)))
            return
        self._screen.post_message(ConversationLoaded(loaded))

    def open_search_hit(self, hit: HistoryEntry) -> None:
        """Open the hit's conversation on the hit's branch, scrolled to the hit, its matched words highlighted."""
        start_worker(self._screen, self._open_hit, hit, group="conversation", exclusive=True)

    async def _open_hit(self, hit: HistoryEntry) -> None:
        from toki_tui.ui.screens import history_loading

        store, message_id = await self._app.history(), hit.message_id
        if store is None or message_id is None:
            return
        try:
            loaded = await self._app.store_thread.read(
                lambda: history_loading.load_conversation_at(store, hit.conversation_id, message_id)
            )
        except TokiError as error:
            self._screen.post_message(ConversationLoadFailed(str(error)))
            return
        self._screen.post_message(ConversationLoaded(loaded, hit))

    def show_loaded(self, message: ConversationLoaded) -> None:
        loaded = message.conversation
        session = self._session
        if session.conversation_id != loaded.conversation_id:
            session.conversation_id = loaded.conversation_id
            session.model = loaded.model or session.model
            session.params = loaded.params
            session.system_prompt = loaded.system_prompt
        # else: the open conversation shown again (after a retry): the settings in use stay, they may be newer
        # than the stored ones (a /model just typed is saved when typing pauses).
        # The next request reads, once, the branch that ends with the last message shown.
        session.forget_context(loaded.messages[-1].id if loaded.messages else None)
        self._settings.show()
        view = self._screen.query_one(ConversationView)
        view.show_messages(loaded.messages, has_older=loaded.has_older)
        view.border_title = plain_line(loaded.title)
        self._screen.query_one(StatusLine).last_usage = next(
            (m.usage for m in reversed(loaded.messages) if m.usage), None
        )
        if message.hit is not None and message.hit.message_id is not None:
            shown = view.reveal(message.hit.message_id)
            if shown is not None:
                shown.mark_words(message.hit.matched)
        self._shown(loaded.conversation_id)

    def load_older(self, before_message_id: int) -> None:
        conversation_id = self._session.conversation_id
        if conversation_id is not None:
            start_worker(
                self._screen, self._load_older, conversation_id, before_message_id, group="older", exclusive=True
            )

    async def _load_older(self, conversation_id: str, before_message_id: int) -> None:
        from toki_tui.ui.screens import history_loading

        store = await self._app.history()
        if store is None:
            return
        try:
            messages, has_older = await self._app.store_thread.read(
                lambda: history_loading.load_older(store, conversation_id, before_message_id)
            )
        except TokiError as error:
            self._screen.post_message(ConversationLoadFailed(str(error)))
            return
        self._screen.post_message(OlderMessagesLoaded(conversation_id, messages, has_older=has_older))

    def show_older(self, message: OlderMessagesLoaded) -> None:
        if message.conversation_id == self._session.conversation_id:
            self._screen.query_one(ConversationView).prepend_older(message.messages, has_older=message.has_older)

    def start_new(self) -> None:
        """An empty conversation with the endpoint's settings; saved when its first message is."""
        app, session = self._app, self._session
        session.conversation_id = None
        self.pending_title = None
        view = self._screen.query_one(ConversationView)
        view.clear()
        view.border_title = ""
        self._screen.query_one(StatusLine).last_usage = None
        session.params = parameters_for_endpoint(app.config, app.endpoint.name)
        session.system_prompt = app.config.system_prompt
        self._settings.show()
        self._shown(None)

    # ---- renaming -------------------------------------------------------------------------------------------

    def rename(self, title: str) -> None:
        conversation_id = self._session.conversation_id
        if conversation_id is None:
            self.pending_title = title
            self._app.notify("The title will be set when the first message is saved.")
            return
        start_worker(self._screen, self._rename, conversation_id, title, group="rename")

    def reply_saved(self, conversation_id: str | None) -> None:
        """After a reply (in conversation `conversation_id`, None if not saved): a title given before the
        conversation was saved is set now."""
        if conversation_id is not None and self.pending_title:
            self.rename(self.pending_title)
            self.pending_title = None

    async def _rename(self, conversation_id: str, title: str) -> None:
        store = await self._app.history()
        if store is None:
            return
        try:
            await self._app.store_thread.run(lambda: store.rename_conversation(conversation_id, title))
        except TokiError as error:
            self._screen.post_message(StoreFailed(f"Could not rename: {error}"))
            return
        self._screen.post_message(ConversationRenamed(conversation_id, title))

    def renamed(self, message: ConversationRenamed) -> None:
        if message.conversation_id == self._session.conversation_id:
            self._screen.query_one(ConversationView).border_title = plain_line(message.title)
        self.load_history()

    # ---- the history list -----------------------------------------------------------------------------------

    def search(self, query: str) -> None:
        self.query = query
        self.load_history()

    def load_history(self, query: str | None = None) -> None:
        """Read the list (or the search hits of `query`, by default the list's own search) in a worker."""
        # Exclusive: each key typed in the search replaces the read before it, which is dropped if not begun.
        start_worker(
            self._screen, self._load_history, self.query if query is None else query, group="history", exclusive=True
        )

    async def _load_history(self, query: str) -> None:
        from toki_tui.ui.screens import history_loading

        store = await self._app.history()
        if store is None:
            return
        words = query.strip()
        try:
            if words:
                entries = await self._app.store_thread.read(lambda: history_loading.search_entries(store, words))
            else:
                entries = await self._app.store_thread.read(lambda: history_loading.list_entries(store))
        except TokiError as error:
            self._screen.post_message(StoreFailed(f"Could not read the history: {error}"))
            return
        self._screen.post_message(HistoryLoaded(entries, query=query))

    def show_history(self, message: HistoryLoaded) -> None:
        if message.query == self.query:
            self._screen.query_one(HistoryList).show_entries(message.entries, current_id=self._session.conversation_id)

    def open_chosen(self, message: HistoryList.ConversationChosen) -> None:
        if message.hit is not None:
            self.open_search_hit(message.hit)
        else:
            self.open_conversation(message.conversation_id)
