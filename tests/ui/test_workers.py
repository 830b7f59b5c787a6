"""start_worker: a worker that Textual cancels before it starts (replaced in its exclusive group, or the app
quitting) leaves no coroutine behind that was never awaited."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pytest
from textual.app import App

import toki_tui.ui
from toki_tui.ui.workers import start_worker


async def test_a_worker_replaced_before_it_starts_leaves_no_coroutine_unawaited() -> None:
    ran: list[str] = []

    async def read(what: str) -> None:
        ran.append(what)

    app: App[None] = App()
    async with app.run_test():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = start_worker(app, read, "first", group="history", exclusive=True)
            second = start_worker(app, read, "second", group="history", exclusive=True)  # cancels the first
            await second.wait()
            assert first.is_cancelled
            del first
            gc.collect()
    assert ran == ["second"]
    assert [str(warning.message) for warning in caught if "never awaited" in str(warning.message)] == []


def test_a_function_that_is_not_async_is_refused() -> None:
    # A lambda returning a coroutine would fail inside Textual's worker, once it runs.
    with pytest.raises(TypeError, match="async function"):
        start_worker(App(), lambda: read_later(), group="g")


async def read_later() -> None:
    """An async function, called by the lambda above (which itself is not one)."""


def test_every_async_worker_of_the_ui_starts_through_start_worker() -> None:
    package = Path(toki_tui.ui.__file__).parent
    direct = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "workers.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "run_worker(" in line and "thread=True" not in line
    ]
    assert direct == []
