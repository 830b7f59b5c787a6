"""Helpers for the app tests: build the real TokiApp through create_app() against the fake server, with the
config, cache and history in a temporary folder (never the developer's own)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.fakes.server import FakeServer
from toki_tui.core.config.config_file import DEFAULT_BASE_URL, Config, load_config, resolve_endpoint, with_endpoint
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.app import TokiApp
from toki_tui.ui.factory import create_app, default_client_factory
from toki_tui.ui.screens.chat import ChatScreen

TEST_KEY = "sk-test-ui-0123456789"

_apps_made: list[TokiApp] = []
"""Every app make_app built in the current test, for close_apps_made."""


@dataclass
class AppHarness:
    app: TokiApp
    server: FakeServer
    root: Path

    @property
    def store(self) -> HistoryStore:
        """The app's history (the one the test gave it, or the one it opened itself)."""
        return self.app.store

    @property
    def history_file(self) -> Path:
        return self.root / "data" / "history.sqlite3"

    @property
    def config_file(self) -> Path:
        return self.root / "config" / "config.toml"

    @property
    def screen(self) -> ChatScreen:
        screen = self.app.screen
        for candidate in self.app.screen_stack:
            if isinstance(candidate, ChatScreen):
                return candidate
        raise AssertionError(f"no chat screen; the screen is {screen!r}")

    async def ready(self, pilot: Pilot[Any]) -> None:
        """Wait for what the chat screen mounts after its first frame (the sidebars' fields and list)."""
        await wait_until(pilot, lambda: sidebars_built(self.screen))


def sidebars_built(screen: ChatScreen) -> bool:
    from toki_tui.ui.widgets.history_list import HistoryList
    from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar

    sidebars = [*screen.query(ParameterSidebar), *screen.query(HistoryList)]
    return len(sidebars) == 2 and all(sidebar.built for sidebar in sidebars)


def make_app(
    root: Path,
    server: FakeServer,
    *,
    api_key: str | None = TEST_KEY,
    config: Config | None = None,
    resume: str | None = None,
    store: HistoryStore | None = None,
    max_retries: int = 0,
    on_started: Callable[[], object] | None = None,
    history_opened_by_app: bool = False,
    shown_config_file: Path | None = None,
) -> AppHarness:
    """An app on a history the test opened (`store`, or a new one), or, with `history_opened_by_app`, on the
    history file the app opens itself after its first frame, as `toki` does. `shown_config_file` replaces the
    config file's path (for pictures, where the temporary folder would change every run): the app writes
    there only when it saves the config."""
    for folder in ("config", "data", "cache"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    config_file = root / "config" / "config.toml"
    if config is None:
        config = load_config(config_file)
    # The built-in "toki" endpoint, pointed at the fake server: the app shows the endpoint as "toki" (not an
    # ad-hoc name with the server's random port, which would change every snapshot) and its key is TOKI_API_KEY.
    toki = config.endpoints["toki"]
    if toki.base_url == DEFAULT_BASE_URL:
        config = with_endpoint(config, dataclasses.replace(toki, base_url=server.base_url))
    env = {"TOKI_API_KEY": api_key} if api_key is not None else {}
    endpoint = resolve_endpoint(config, env)
    history_file = root / "data" / "history.sqlite3"
    if store is None and not history_opened_by_app:
        store = HistoryStore(history_file)
        store.open()
    app = create_app(
        config=config,
        endpoint=endpoint,
        store=store,
        resume=resume,
        client_factory=default_client_factory(config, max_retries=max_retries),
        on_started=on_started,
        config_file=shown_config_file or config_file,
        cache_dir=root / "cache",
        themes_dir=root / "config" / "themes",
        history_file=history_file,
    )
    _apps_made.append(app)
    return AppHarness(app=app, server=server, root=root)


def close_apps_made() -> None:
    """Close the history of every app make_app built (its store thread ends, its database closes), as `toki`
    does once its app has exited (cli/tui.py). Run after each test (tests/ui/conftest.py): an app left open keeps
    its store thread alive, and the thread keeps the whole app in memory, so every later full garbage collection
    of the test process (the chat screen asks for one after each reply) walks all the apps of earlier tests."""
    while _apps_made:
        _apps_made.pop().close_history()


STYLES_CACHE_MEMO = "get_inner_outer"
"""A method of Textual's private StylesCache (each widget has one) memoized with functools.lru_cache(1024), so
the memo, keyed on the StylesCache itself, keeps up to 1,024 of them alive with every line they rendered, long
after their widgets are gone. Guarded by tests/ui/test_textual_internals.py.
https://github.com/Textualize/textual/blob/v8.2.8/src/textual/_styles_cache.py (StylesCache.get_inner_outer)"""


def forget_rendered_styles() -> None:
    """Empty that memo (Textual fills it again as it draws), after each test (tests/ui/conftest.py): otherwise
    the widgets' rendered lines of earlier tests stay in memory, and each full garbage collection of the test
    process walks them all. Nothing if Textual no longer has it."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:
        return
    memo = getattr(StylesCache, STYLES_CACHE_MEMO, None)
    cache_clear = getattr(memo, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


async def wait_until(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until `condition()` is true (or fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def enter_text(pilot: Pilot[Any], text: str) -> None:
    """Insert `text` at the cursor of the focused text field (the prompt, an Input) in one edit, as typing it
    would. A key press through Pilot costs tens of milliseconds, so tests that are not about typing itself use
    this; the field must have the focus, as it must for typing."""
    await pilot.pause()  # a focus() just called takes effect on the next turn of the loop, as a key would find it
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.insert(text)
    elif isinstance(focused, Input):
        focused.insert_text_at_cursor(text)
    else:
        raise AssertionError(f"no text field has the focus: {focused!r}")
    await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type `text` into the focused widget key by key (spaces and slashes included): for tests about typing
    itself (where the keys go); other tests use enter_text."""
    names = {" ": "space", "/": "slash", ".": "full_stop", "-": "minus", "_": "underscore"}
    await pilot.press(*[names.get(ch, ch) for ch in text])


async def wait_for_request_end(request: Any, timeout: float = 5.0) -> None:
    """Wait (without blocking the app's loop) until the fake server is done with `request`."""
    await asyncio.get_running_loop().run_in_executor(None, request.finished.wait, timeout)


def assert_dialog_centered(app: App[Any], selector: str) -> None:
    """The open modal's dialog (`selector`) sits in the middle of the screen, not in its top-left corner."""
    region = app.screen.query_one(selector).region
    width, height = app.screen.size
    assert abs(region.x - (width - region.right)) <= 1, (selector, region, app.screen.size)
    assert abs(region.y - (height - region.bottom)) <= 1, (selector, region, app.screen.size)
