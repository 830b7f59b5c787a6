"""The settings of the chat's next request (model, parameters, system prompt): changed from the parameter sidebar
and slash commands, shown in the sidebar and the status line, saved with the open conversation once typing pauses,
or as the defaults for new conversations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toki_tui.core.config.model import tools_file_for_endpoint
from toki_tui.core.errors import TokiError
from toki_tui.ui.screens.worker_messages import StoreFailed
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from toki_tui.core.session import ChatSession
    from toki_tui.core.store.history_store import HistoryStore
    from toki_tui.ui.app import TokiApp

SAVE_PAUSE = 0.4
"""Seconds without a change before the settings are written to the open conversation."""


class SessionSettings:
    """`screen` is the node the save timer and worker run on (group "settings") and whose widgets show them."""

    def __init__(self, screen: Screen[Any], app: TokiApp, session: ChatSession) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._save_timer: Timer | None = None
        self.preset: str | None = None
        """The preset applied last, which the sidebar names (preset_actions.py); None: none."""
        self.tools_file: str | None = tools_file_for_endpoint(app.config, session.endpoint_name)
        """The file the tools in use came from (what "save as preset" stores); None: none, or not known."""

    def show(self) -> None:
        session = self._session
        self._screen.query_one(ParameterSidebar).show_settings(
            model=session.model, params=session.params, system_prompt=session.system_prompt
        )
        self._screen.query_one(StatusLine).model_id = session.model

    def set_model(self, model_id: str) -> None:
        self._session.model = model_id
        self._screen.query_one(ParameterSidebar).show_model(model_id)
        self._screen.query_one(StatusLine).model_id = model_id
        self.schedule_save()

    def apply(self, name: str, value: Any, *, echo: bool) -> None:
        """Change one setting of the next request; `echo` also updates the sidebar (for slash commands)."""
        if name == "system_prompt":
            self._session.system_prompt = value
        else:
            self._session.params = self._session.params.replace(**{name: value})
        if echo:
            self.show()
        self.schedule_save()

    def schedule_save(self) -> None:
        """Save the settings with the conversation, once typing pauses (not on every keystroke)."""
        if self._session.conversation_id is None:
            return  # a new conversation gets its settings when its first message is saved
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self._screen.set_timer(SAVE_PAUSE, self.save_now)

    def save_now(self) -> None:
        session = self._session
        if session.conversation_id is not None and session.store is not None:
            settings = {
                "model": session.model,
                "endpoint": session.endpoint_name,
                "system_prompt": session.system_prompt,
                "params": session.params.to_record(),
            }
            start_worker(self._screen, self._write, session.store, session.conversation_id, settings, group="settings")

    async def _write(self, store: HistoryStore, conversation_id: str, settings: dict[str, Any]) -> None:
        # The values were taken when typing paused; the write queues on the store thread behind earlier ones.
        try:
            await self._app.store_thread.run(lambda: store.update_conversation_settings(conversation_id, **settings))
        except TokiError as error:
            self._screen.post_message(StoreFailed(f"Could not save the settings: {error}"))

    def save_as_defaults(self) -> None:
        session, app = self._session, self._app
        if app.save_defaults(model=session.model, params=session.params, system_prompt=session.system_prompt):
            app.notify(f"Saved as the default for new conversations in {app.paths.config_file}")
