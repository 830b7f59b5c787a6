"""A history row with values toki never writes (an older version, a hand edit) is listed and opens in the app."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from tests.cli.test_history_bad_records import damage
from tests.fakes.server import FakeServer
from tests.ui.app_support import make_app, wait_until
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList


async def test_a_damaged_conversation_is_listed_and_opens(tmp_path: Path, fake_server: FakeServer) -> None:
    (tmp_path / "data").mkdir()
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="org/model")
    asked = store.add_message(conversation.id, role="user", content="the question")
    reply = store.start_reply(conversation.id, parent_id=asked.id, model="org/model", endpoint="toki", params={})
    store.finish_reply(reply.id, content="the answer", status="complete", usage={"completion_tokens": 3})
    damage(store.path, conversation.id)
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+b")
        history = harness.app.screen.query_one(HistoryList)
        await wait_until(pilot, lambda: history.option_count == 1)
        history.query_one(OptionList).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.session.conversation_id == conversation.id)
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        assert [message.content for message in view.messages] == ["42", "the answer"]
        assert view.messages[1].usage is None  # "lots" is not a token count
        await pilot.pause()
        assert harness.app.is_running
