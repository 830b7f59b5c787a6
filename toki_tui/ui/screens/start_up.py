"""What the chat screen does right after its first frame, in a worker: nothing here delays that frame, and a key
typed meanwhile is not held up by it (docs/performance.md)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from toki_tui.ui.code_render import warm_up_imports
from toki_tui.ui.widgets.after_first_frame import ChildrenAfterFirstFrame

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.model_choice import ModelChoice


def import_what_start_up_needs() -> None:
    """For a thread, right after the first frame: the history store, the HTTP client (httpx) and the Markdown
    renderer. Imported on the UI thread, they held it long enough to delay a key typed just after the first frame
    (docs/performance.md). A thread still takes the GIL, but hands it back at every switch interval (cli/tui.py)."""
    for module in ("toki_tui.core.store.history_store", "toki_tui.core.api.client"):
        importlib.import_module(module)
    warm_up_imports()


async def next_frame(screen: Screen[Any]) -> None:
    painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    screen.call_after_refresh(lambda: None if painted.done() else painted.set_result(None))
    await painted


async def start_up(
    screen: Screen[Any], app: TokiApp, session: ChatSession, *, models: ModelChoice, then: Callable[[], None]
) -> None:
    """Open the history for `session`, show the models known without the network, ask the server for its list,
    and call `then` (the screen's own start-up: the history list, when shown)."""
    # The sidebars mount their fields first, and are painted, before the imports start: the thread doing them
    # takes the GIL half the time, and made the UI thread's own start-up work twice as long (a key typed then
    # waited about twice as long: docs/performance.md).
    for sidebar in screen.query(ChildrenAfterFirstFrame):
        await sidebar.wait_until_built()
    await next_frame(screen)
    await asyncio.to_thread(import_what_start_up_needs)
    store = await app.history()
    if store is None:
        return  # the app is quitting with the error
    session.store = store
    await models.show_known()  # a picker opened meanwhile shows them too
    models.load()
    then()
