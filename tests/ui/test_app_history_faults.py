"""The chat on a history it cannot write: read-only (it starts, says so once, browses, answers in memory) and a
disk that fills up mid-reply (the reply is shown in full, one warning)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import OptionList

from tests.core.test_store_unwritable import LONG_REPLY, fill_disk
from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import make_app, wait_until
from tests.ui.test_app_history_open import send_and_wait
from toki_tui.core.store import connection as store_connection
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.prompt_input import PromptInput


def history_notices(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "History"]  # type: ignore[attr-defined]


async def test_a_read_only_history_starts_without_saving_and_says_so(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = make_app(tmp_path, fake_server, history_opened_by_app=True)
    with HistoryStore(harness.history_file) as store:
        store.add_message(store.create_conversation(endpoint="toki", model="m").id, role="user", content="older talk")

    # Tests run as root, where chmod does not stop writes: SQLite's read-only refusal is injected.
    def refuse(path: Path) -> object:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store_connection, "open_database", refuse)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: history_notices(harness.app))
        [notice] = history_notices(harness.app)
        assert notice.startswith("history is read-only: conversations will not be saved")
        assert "move the file aside" not in notice
        assert harness.app.startup_error is None
        # Browsing still works.
        await pilot.press("ctrl+b")
        history = harness.screen.query_one(HistoryList)
        await wait_until(pilot, lambda: history.option_count == 1)
        assert "older talk" in str(history.query_one(OptionList).get_option_at_index(0).prompt)
        # And a question gets its answer, kept in memory, with no second warning.
        harness.screen.query_one(PromptInput).focus()
        fake_server.script(stream_text("In memory."))
        await send_and_wait(pilot, harness, fake_server, "new question")
        shown = harness.screen.query_one(ConversationView).messages
        assert [m.content for m in shown] == ["new question", "In memory."]
        assert len(history_notices(harness.app)) == 1
    harness.app.close_history()


async def test_a_disk_that_fills_up_mid_reply_shows_the_whole_reply_and_warns_once(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    harness = make_app(tmp_path, fake_server)
    fill_disk(harness.store._connection.db())
    fake_server.script(stream_text(LONG_REPLY), stream_text("second"), stream_text("x" * 200_000))
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await send_and_wait(pilot, harness, fake_server, "tell me everything")
        await wait_until(pilot, lambda: history_notices(harness.app))
        shown = harness.screen.query_one(ConversationView).messages
        assert [m.content for m in shown] == ["tell me everything", LONG_REPLY]
        assert shown[-1].status == "complete"
        [warning] = history_notices(harness.app)
        assert warning.startswith("the disk is full:") and "this conversation is no longer saved" in warning
        assert "Ctrl+N starts a new one" in warning
        await send_and_wait(pilot, harness, fake_server, "more")
        assert len(history_notices(harness.app)) == 1
        # A new conversation tries the history again; the disk still full, it warns again.
        await pilot.press("ctrl+n")
        await send_and_wait(pilot, harness, fake_server, "and now?")
        await wait_until(pilot, lambda: len(history_notices(harness.app)) == 2)
    harness.app.close_history()
