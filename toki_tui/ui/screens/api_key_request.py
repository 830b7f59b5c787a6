"""Asking for the API key when none is configured (at start-up, and instead of a request without one): the dialog
(api_key_dialog.py), then the key saved by the app and given to the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp


class ApiKeyRequest:
    """`screen` is the node the saving worker runs on (group "api-key"); `key_saved` runs once a key is in use."""

    def __init__(
        self, screen: Screen[Any], app: TokiApp, session: ChatSession, *, key_saved: Callable[[], None]
    ) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._key_saved = key_saved

    def ask(self) -> None:
        """Show the dialog, unless it is already open."""
        from toki_tui.ui.screens.api_key_dialog import ApiKeyDialog

        app = self._app
        if any(isinstance(screen, ApiKeyDialog) for screen in app.screen_stack):
            return
        dialog = ApiKeyDialog(
            endpoint_name=app.endpoint.name,
            base_url=app.endpoint.base_url,
            config_path=str(app.paths.config_file),
            key_variable=self._key_variable(),
        )
        app.push_screen(dialog, self._entered)

    def _key_variable(self) -> str | None:
        """The variable the endpoint in use reads its key from (TOKI_API_KEY for the built-in one), if any."""
        endpoint = self._app.config.endpoints.get(self._app.endpoint.name)
        return endpoint.api_key_env if endpoint is not None and endpoint.api_key_env else None

    def _entered(self, key: str | None) -> None:
        start_worker(self._screen, self._use, key, group="api-key")

    async def _use(self, key: str | None) -> None:
        app = self._app
        if key is None:
            variable = self._key_variable()
            how = f"set {variable} before starting toki" if variable else "set one in the config"
            app.notify(f"No API key yet: history is browsable; {how}, or send a message to be asked again.")
            return
        if await app.use_api_key(key):
            self._session.client = app.client
            app.notify("API key saved.")
            self._key_saved()
