"""`toki` opens the history after its first frame, in the app: what it finds there is reported in the app, a
history that cannot be opened ends the app with the error, and nothing sent is ever kept out of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.app import TokiApp
from toki_tui.ui.screens.chat import ChatScreen


async def send_and_wait(pilot: Any, harness: AppHarness, fake_server: FakeServer, text: str) -> None:
    await enter_text(pilot, text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
    await harness.app.workers.wait_for_complete()


def saved_branches(history_file: Path) -> list[list[tuple[str, str]]]:
    """Every conversation in the file, read through a connection of its own (as a second toki would)."""
    store = HistoryStore(history_file)
    store.open()
    try:
        return [
            [(message.role, message.content) for message in store.branch(conversation.id)]
            for conversation in store.list_conversations()
        ]
    finally:
        store.close()


async def test_the_history_opens_after_the_first_frame_and_keeps_the_chat(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened_at_first_frame: list[bool] = []
    original_display = TokiApp._display

    def display(self: TokiApp, screen: Any, renderable: Any) -> None:
        if renderable is not None and not self._batch_count and not opened_at_first_frame:
            opened_at_first_frame.append(self._store is not None)
        original_display(self, screen, renderable)

    monkeypatch.setattr(TokiApp, "_display", display)
    fake_server.script(stream_text("Saved."))
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True)
    assert not harness.history_file.exists()
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: harness.app._store is not None)  # opened once the imports it needs are in
        assert harness.screen.session.store is harness.app._store
        await send_and_wait(pilot, harness, fake_server, "remember me")
    harness.app.close_history()
    assert opened_at_first_frame == [False]
    assert saved_branches(harness.history_file) == [[("user", "remember me"), ("assistant", "Saved.")]]


async def test_a_prompt_sent_before_the_history_opened_is_still_saved(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompt pasted with its Enter during start-up can be handled before the work after the first frame;
    the session must not take it as a session without history (which keeps messages in memory only)."""
    monkeypatch.setattr(ChatScreen, "_after_first_frame", lambda self: None)  # the history is not opened yet
    fake_server.script(stream_text("Still saved."))
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        assert harness.app._store is None
        await send_and_wait(pilot, harness, fake_server, "early bird")
    harness.app.close_history()
    assert saved_branches(harness.history_file) == [[("user", "early bird"), ("assistant", "Still saved.")]]


async def test_a_corrupt_history_is_moved_aside_and_said_so_in_the_app(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True)
    harness.history_file.write_bytes(b"this is not a database" * 100)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: any(n.title == "History" for n in harness.app._notifications))
        [notice] = [n for n in harness.app._notifications if n.title == "History"]
        [moved] = harness.history_file.parent.glob("history.sqlite3.corrupt-*")
        assert moved.read_bytes().startswith(b"this is not a database")
        assert moved.name in notice.message
        fake_server.script(stream_text("Fresh start."))
        await send_and_wait(pilot, harness, fake_server, "hello again")
    harness.app.close_history()
    assert saved_branches(harness.history_file) == [[("user", "hello again"), ("assistant", "Fresh start.")]]


async def test_a_history_that_cannot_be_opened_ends_the_app_with_the_error(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True)
    harness.history_file.mkdir()  # a folder where the file should be: SQLite cannot open it
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: harness.app.startup_error is not None)
        await pilot.pause()
    assert harness.app.return_code == 1
    assert str(harness.history_file) in str(harness.app.startup_error)


async def test_a_prompt_sent_before_a_history_that_cannot_be_opened_ends_the_app_with_the_error(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed ahead at start, before start-up tried the history: the same clean end as start-up's own attempt
    (no traceback, the error for the command line to report), and nothing sent."""
    monkeypatch.setattr(ChatScreen, "_after_first_frame", lambda self: None)  # start-up has not opened it yet
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True)
    harness.history_file.mkdir()
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        await enter_text(pilot, "early")
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.app.startup_error is not None)
        await pilot.pause()
    assert harness.app.return_code == 1
    assert str(harness.history_file) in str(harness.app.startup_error)
    assert fake_server.chat_requests() == []


async def test_resuming_on_a_corrupt_history_says_so_in_the_app(tmp_path: Path, fake_server: FakeServer) -> None:
    """To resume, the history is opened before the first frame: its notices still reach the user."""
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True, resume="last")
    harness.history_file.write_bytes(b"this is not a database" * 100)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: any(n.title == "History" for n in harness.app._notifications))
    harness.app.close_history()
    assert list(harness.history_file.parent.glob("history.sqlite3.corrupt-*"))
