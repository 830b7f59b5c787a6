"""The model of the chat's next request: the list the picker offers (the cache and the config's models at once,
then the server's, model_loading.py) and the picker itself (Ctrl+O, /model, the sidebar's model field)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from toki_tui.core.errors import APIError
from toki_tui.ui.screens.worker_messages import ModelsLoaded
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.api.model_info import ModelInfo
    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.session_settings import SessionSettings


class ModelChoice:
    """`screen` is the node the loading worker runs on (group "models") and ModelsLoaded goes to; `settings`
    applies the model chosen."""

    def __init__(self, screen: Screen[Any], app: TokiApp, session: ChatSession, settings: SessionSettings) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._settings = settings
        self.models: list[ModelInfo] = []
        self.note = "Loading the model list…"

    async def show_known(self) -> None:
        """Show the cached list and the config's models: the picker's list until the server answers (read after
        the first frame, which needs neither the file nor the records; in a thread, as it reads a file)."""
        from toki_tui.ui.screens.model_loading import known_models

        cache_dir, endpoint = self._app.paths.cache_dir, self._app.endpoint
        models = await asyncio.to_thread(known_models, cache_dir, endpoint.name, endpoint.models, endpoint.model)
        self.show(models, self.note)

    def load(self) -> None:
        """Ask the server for its list, in a worker; ModelsLoaded brings it (or the offline list, and why)."""
        start_worker(self._screen, self._load, group="models", exclusive=True)

    async def _load(self) -> None:
        from toki_tui.ui.screens.model_loading import fetch_models

        app = self._app
        try:
            fetched = await fetch_models(app.client, app.paths.cache_dir, app.endpoint.name)
        except APIError as error:
            note = f"Offline list (cache and config): {error}" if self.models else f"No model list: {error}"
            self._screen.post_message(ModelsLoaded(self.models, note=note, final=True))
            return
        self._screen.post_message(ModelsLoaded(fetched, note=fetched.note, final=True))

    def show(self, models: list[ModelInfo], note: str) -> None:
        """The list for Tab in the prompt and for the picker, an open one included."""
        from toki_tui.core.api.model_info import with_configured_prices
        from toki_tui.ui.screens.model_picker import ModelPickerScreen

        self._app.prices.update_listed(models)  # the server's prices, for the replies that end from now on
        self.models, self.note = with_configured_prices(models, self._app.config.model_prices), note
        self._screen.query_one(PromptInput).model_ids = [model.id for model in models]
        for screen in self._app.screen_stack:
            if isinstance(screen, ModelPickerScreen):
                screen.update_models(self.models, self.note)

    def pick(self) -> None:
        from toki_tui.ui.screens.model_picker import ModelPickerScreen

        picker = ModelPickerScreen(self.models, current_model=self._session.model, note=self.note)
        self._app.push_screen(picker, self._chosen)

    def _chosen(self, model_id: str | None) -> None:
        if model_id:
            self.use(model_id)
        self._screen.query_one(PromptInput).focus()

    def use(self, model_id: str) -> None:
        """The model of the next requests (saved with the conversation)."""
        self._settings.set_model(model_id)
