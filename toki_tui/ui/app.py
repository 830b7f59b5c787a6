"""TokiApp: holds the config, the endpoint, the client and the store; registers themes; owns app-wide keys.

Everything about the conversation lives in ChatScreen. The app only does what outlives a screen: the theme, the
config file (theme choice, "save as default", an API key typed into the dialog), the client for the endpoint and
the history store, which it opens on first use (right after the first frame) and which the command line closes;
an error opening it ends the app, kept in `startup_error` for the command line to report.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.notifications import SeverityLevel
from textual.screen import Screen

from toki_tui.core.api.params import ChatParams
from toki_tui.core.config.config_file import Config, EndpointConfig, with_changes, with_endpoint
from toki_tui.core.config.endpoints import ResolvedEndpoint
from toki_tui.core.config.model import with_preset
from toki_tui.core.config.presets import Preset
from toki_tui.core.errors import TokiError
from toki_tui.core.pricing import PriceBook
from toki_tui.core.spend import Spend
from toki_tui.core.text import displayable, displayable_line
from toki_tui.ui.resume_guard import guard_resume_signal
from toki_tui.ui.store_thread import StoreThread
from toki_tui.ui.textual_internals import set_theme_before_start
from toki_tui.ui.themes import ThemeCatalog, choose_theme
from toki_tui.ui.type_ahead import TypeAhead

if TYPE_CHECKING:
    from toki_tui.core.api.client import ChatClient
    from toki_tui.core.mcp.manager import McpManager, ServerState
    from toki_tui.core.store.history_store import HistoryStore

ClientFactory = Callable[[ResolvedEndpoint], "ChatClient"]


@dataclasses.dataclass(frozen=True)
class AppPaths:
    """Where the app reads and writes; tests point these into a temporary folder."""

    config_file: Path
    cache_dir: Path
    themes_dir: Path
    history_file: Path


def toki_commands() -> type[Provider]:
    """The command palette's provider, imported when the palette first opens (not on the first frame)."""
    from toki_tui.ui.command_palette import TokiCommands

    return TokiCommands


class TokiApp(App[int]):
    CSS_PATH = "styles/app.tcss"
    TITLE = "toki"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {lambda: toki_commands()}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("ctrl+t", "change_theme", "Theme", show=False, id="app.theme"),
    ]

    def __init__(
        self,
        *,
        config: Config,
        endpoint: ResolvedEndpoint,
        store: HistoryStore | None,
        client_factory: ClientFactory,
        paths: AppPaths,
        themes: ThemeCatalog,
        resume: str | None = None,
        preset: Preset | None = None,
        on_started: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self._on_started = on_started
        self.type_ahead = TypeAhead()
        self.config = config
        self.endpoint = endpoint
        self._store = store
        self._store_opening: asyncio.Future[tuple[HistoryStore, tuple[str, ...]]] | None = None
        self.store_thread = StoreThread()
        """Where every history read and write of the app runs (never on the event loop)."""
        self.startup_error: TokiError | None = None
        self.paths = paths
        self.resume = resume
        self.start_preset = preset
        """The preset of `--preset`, applied by the chat screen to the conversation it opens first."""
        self._client_factory = client_factory
        self._client: ChatClient | None = None
        self._themes = themes
        self._quitting = False
        self.prices = PriceBook(config.model_prices)
        """The price in force per model: the config's, else the model list's (the chat updates it with the list)."""
        self.spend = Spend()
        """This run's replies: their estimated cost, and how many were unpriced (the status line shows it)."""
        self.applied_keymap: dict[str, str] = {}
        """The `[keymap]` entries in effect (binding id = keys); F1 help and the command palette show them."""
        self._theme_ready = False
        self.mcp: McpManager | None = None
        """The MCP servers of `[mcp_servers]`, started after the first frame (None: none configured)."""
        self.mcp_allowed: set[tuple[str, str]] = set()
        """(server, tool) pairs whose calls run without asking, until toki exits ("allow for this session")."""
        for theme in themes.themes:
            self.register_theme(theme)
        theme_name, self._theme_notice = choose_theme(config.theme, self.available_themes)
        self._set_initial_theme(theme_name)

    def _set_initial_theme(self, theme_name: str) -> None:
        """Start on `theme_name`, without the re-parse of every stylesheet that assigning `self.theme` queues
        (textual_internals.set_theme_before_start; tests/ui/test_app_history_and_keys.py checks every theme's
        colours and classes on screen)."""
        set_theme_before_start(self, theme_name)

    def get_default_screen(self) -> Screen[Any]:
        """The chat is the app's first screen. Pushing it from on_mount instead put its first frame inside the
        batch update that wraps Textual's start-up, and Textual drops frames composed in a batch: the terminal
        stayed blank until the work deferred past the first frame was done (measured under a pty by
        tests/benchmarks/bench_tui_start.py)."""
        from toki_tui.ui.screens.chat import ChatScreen

        return ChatScreen()

    QUIT_SIGNALS: ClassVar[tuple[str, ...]] = ("SIGTERM", "SIGHUP")
    """Signals that end the app like Ctrl+Q (`kill`, a closed terminal window): the reply arriving is kept as
    "stopped" (as Esc does), Textual puts the terminal back, and the exit status is 128 + the signal's number."""

    def _catch_quit_signals(self) -> None:
        """Left to the default in headless tests and where the loop cannot take signal handlers (Windows). SIGCONT
        (sent with SIGHUP on a hang-up) reaches Textual only while the terminal lives: resume_guard.py."""
        if self.is_headless:
            return
        guard_resume_signal()
        loop = asyncio.get_running_loop()
        for name in self.QUIT_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(number, self._quit_signal_received, int(number))

    def _quit_signal_received(self, number: int) -> None:
        if not self._quitting:
            self._quitting = True
            self.call_later(self._quit_after_signal, number)

    TERMINAL_CHECK_SECONDS: ClassVar[float] = 1.0
    """How often the app checks that its terminal still exists. A terminal can go away without a SIGHUP reaching
    toki (a pty whose other end closed while toki was not its session's foreground job); Textual's input thread
    then reads end-of-file in a loop and the orphan would spin a core forever."""

    def _watch_terminal(self) -> None:
        if self.is_headless:
            return
        stdin = sys.__stdin__
        if stdin is None or not os.isatty(stdin.fileno()):
            return
        self.set_interval(self.TERMINAL_CHECK_SECONDS, self._check_terminal, name="terminal-watch")

    def _check_terminal(self) -> None:
        """A terminal that has hung up answers every request with EIO: end as a SIGHUP would (the reply arriving
        is kept as "stopped")."""
        stdin = sys.__stdin__
        try:
            os.get_terminal_size(stdin.fileno() if stdin is not None else 0)
        except OSError:
            self._quit_signal_received(int(signal.SIGHUP))

    async def _quit_after_signal(self, number: int) -> None:
        from toki_tui.ui.screens.chat import ChatScreen

        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                await screen.replies.stop_and_wait()
        if self._client is not None:
            await self._client.aclose()
        self.exit(128 + number, return_code=128 + number)

    def on_mount(self) -> None:
        self._catch_quit_signals()
        self._watch_terminal()
        self._apply_keymap()
        problems = [line for line in (self._themes.problem_report(), self._theme_notice) if line]
        if problems:
            # One notification for every theme problem, so a broken folder is not a storm of toasts.
            self.notify("\n".join(problems), title="Themes", severity="warning", timeout=10)
        self._theme_ready = True

    def _apply_keymap(self) -> None:
        """The config's `[keymap]`: the entries that can be applied are; the others (unknown id, unparsable key, a
        key the prompt keeps for itself) are named in one notification and keep their default keys."""
        if not self.config.keymap:
            return
        from toki_tui.ui.key_catalog import check_keymap

        self.applied_keymap, problems = check_keymap(self.config.keymap)
        self.set_keymap(self.applied_keymap)
        if problems:
            lines = [*problems, "These keep their default keys; fix [keymap] in the config file."]
            self.notify("\n".join(lines), title="Keymap", severity="warning", timeout=15)

    def key_name(self, binding_id: str, default: str) -> str:
        """The key a hint names for the binding `binding_id` ("Esc stops"): `default`, or the `[keymap]`'s."""
        from toki_tui.ui.key_names import key_name

        return key_name(binding_id, self.applied_keymap, default)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification, toki's and Textual's, goes through here: its text is made displayable and never
        parsed as markup. Messages carry outside text (server errors, file names, model ids, titles), and Textual
        parses a notification as markup by default, where `[/]` raises and `[@click=...]` runs an action on a
        click. No toki notification uses markup, so the argument is accepted and ignored."""
        del markup
        super().notify(
            displayable(message), title=displayable_line(title), severity=severity, timeout=timeout, markup=False
        )

    async def on_event(self, event: events.Event) -> None:
        """A paste is outside text too (a page copied from the web can hold escape sequences): it reaches the
        focused field displayable, since Textual's inputs would write its controls to the terminal as they are."""
        if isinstance(event, events.Paste) and not event.is_forwarded:
            clean = displayable(event.text)
            if clean != event.text:
                event = events.Paste(clean)
        if not self.type_ahead.hold(event):  # typed before anything had the focus: kept until then (type_ahead.py)
            await super().on_event(event)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.type_ahead.release(self.post_message)  # a field has the focus: what was typed ahead has a place to go

    def started(self) -> None:
        """The first frame is on screen and the start-up work after it is queued: run the caller's `on_started`
        (the command line re-enables the garbage collector there), once."""
        on_started, self._on_started = self._on_started, None
        if on_started is not None:
            on_started()
        self.start_mcp()

    def start_mcp(self) -> None:
        """Start the configured MCP servers on the manager's thread (the SDK is imported there, not here)."""
        if not self.config.mcp_servers or self.mcp is not None:
            return
        from toki_tui.core.mcp.manager import McpManager
        from toki_tui.ui.mcp_notices import McpNotices

        loop, notices = asyncio.get_running_loop(), McpNotices(self)
        app_context = contextvars.copy_context()  # Textual's timers and messages need the active app's context

        def changed(state: ServerState) -> None:  # on the manager's thread
            with contextlib.suppress(RuntimeError):  # the app's loop has closed: toki is exiting
                loop.call_soon_threadsafe(notices.changed, state, context=app_context)

        self.mcp = McpManager(self.config.mcp_servers, on_change=changed)
        self.mcp.start()

    def stop_mcp(self) -> None:
        """Stop the MCP servers and all they started (the command line calls this once the app has ended)."""
        manager, self.mcp = self.mcp, None
        if manager is not None:
            manager.stop()

    @property
    def store(self) -> HistoryStore:
        """The history once history() has opened it (the screens use history(); this is for callers that know
        it is open, such as the command line and tests). Raises HistoryError when it is not open yet."""
        if self._store is None:
            from toki_tui.core.errors import HistoryError

            raise HistoryError(f"the history {self.paths.history_file} is not open yet")
        return self._store

    def _open_store(self) -> tuple[HistoryStore, tuple[str, ...]]:
        """On the store thread: importing and opening the history (migrations, a corrupt file moved aside) is
        file work that must not hold the first frame or the keys."""
        from toki_tui.core.store.history_store import HistoryStore

        store = HistoryStore(self.paths.history_file)
        report = store.open()
        return store, report.notices

    async def history(self) -> HistoryStore | None:
        """The history, opened on first use (right after the first frame, or at once to resume a conversation),
        on the store thread; callers at the same time share the one opening. None when it cannot be opened: the
        app then quits with the error (the command line reports it, as it does for `toki ask`, exit status 1),
        since every message would otherwise go unsaved."""
        if self._store is not None:
            return self._store
        if self._store_opening is None:
            self._store_opening = asyncio.ensure_future(self.store_thread.run(self._open_store))
        try:
            # Shielded: a caller replaced meanwhile (another conversation opened) must not cancel the opening.
            store, notices = await asyncio.shield(self._store_opening)
        except TokiError as error:
            self.startup_error = error
            self.exit(1, return_code=1)
            return None
        if self._store is None:
            self._store = store
            if notices:
                # Shown in the app: a line on stderr before the app starts is hidden by its full screen.
                self.notify("\n".join(notices), title="History", severity="warning", timeout=15)
        return self._store

    def close_history(self) -> None:
        self.store_thread.close()
        if self._store is not None:
            self._store.close()

    @property
    def client(self) -> ChatClient:
        """The client for the endpoint, built on first use (after the first frame: building it imports httpx)."""
        if self._client is None:
            self._client = self._client_factory(self.endpoint)
        return self._client

    @property
    def needs_api_key(self) -> bool:
        return self.endpoint.key_required and not self.endpoint.api_key

    # ---- config writes --------------------------------------------------------------------------------------

    def _save(self, config: Config, what: str) -> bool:
        from toki_tui.core.config.in_place_save import save_config  # only when saving: not on the first frame

        try:
            save_config(config, self.paths.config_file, base=self.config)
        except (OSError, TokiError) as error:
            self.notify(f"Could not save {what} to {self.paths.config_file}: {error}", severity="error")
            return False
        self.config = config
        return True

    def watch_theme(self, theme_name: str) -> None:
        if self._theme_ready and theme_name != self.config.theme:
            self._save(with_changes(self.config, theme=theme_name), "the theme")

    def save_defaults(self, *, model: str, params: ChatParams, system_prompt: str | None) -> bool:
        """Make these the settings of every new conversation ("save as default")."""
        try:
            changed = with_changes(self.config, model=model, parameters=params, system_prompt=system_prompt)
        except TokiError as error:
            self.notify(str(error), severity="error")
            return False
        return self._save(changed, "the defaults")

    def save_preset(self, preset: Preset) -> bool:
        """Store `preset` as a `[presets.NAME]` table of the config ("save as preset"), replacing one of that name."""
        return self._save(with_preset(self.config, preset), f"the preset {preset.name}")

    async def switch_endpoint(self, endpoint: ResolvedEndpoint) -> None:
        """Talk to `endpoint` from the next request on (a preset naming another endpoint)."""
        self.endpoint = endpoint
        old_client, self._client = self._client, None
        if old_client is not None:
            await old_client.aclose()

    async def use_api_key(self, key: str) -> bool:
        """Save the key typed into the dialog to the config (0600) and switch the client to it."""
        current: EndpointConfig | None = self.config.endpoints.get(self.endpoint.name)
        # The key is saved for the host this session talks to: on its endpoint, or (for an ad-hoc host from
        # --base-url / TOKI_BASE_URL) on a new endpoint for that host, never on another host's endpoint.
        if current is None:
            current = EndpointConfig(name=self.endpoint.name, base_url=self.endpoint.base_url)
        if not self._save(with_endpoint(self.config, dataclasses.replace(current, api_key=key)), "the API key"):
            return False
        self.endpoint = dataclasses.replace(self.endpoint, api_key=key, key_source="config file")
        old_client, self._client = self._client, None
        if old_client is not None:
            await old_client.aclose()
        return True

    async def action_quit(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self.exit(0)
