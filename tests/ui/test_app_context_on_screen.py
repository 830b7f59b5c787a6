"""What is sent is the branch on screen: messages another toki process appended meanwhile (a `toki ask -c` in a
shell) never reach a request the TUI makes; and a model chosen just before a retry stays chosen after it."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import make_app, wait_until
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine


def seeded(root: Path) -> tuple[HistoryStore, str]:
    (root / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(root / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="seed/model")
    asked = store.add_message(conversation.id, role="user", content="seen question")
    reply = store.start_reply(conversation.id, parent_id=asked.id, model="seed/model", endpoint="toki", params={})
    store.finish_reply(reply.id, content="seen answer", status="complete")
    return store, conversation.id


async def test_a_message_appended_by_another_process_is_not_sent(tmp_path: Path, fake_server: FakeServer) -> None:
    store, conversation_id = seeded(tmp_path)
    fake_server.script(stream_text("fine"))
    harness = make_app(tmp_path, fake_server, resume=conversation_id, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        await harness.ready(pilot)
        # Meanwhile, in a shell: `toki ask -c "cli side"` adds an exchange the TUI never showed.
        other = HistoryStore(harness.history_file)
        other.open()
        cli_question = other.add_message(conversation_id, role="user", content="cli side")
        other.add_message(conversation_id, role="assistant", content="cli answer")
        other.close()
        prompt = harness.screen.query_one(PromptInput)
        prompt.text = "tui side"
        prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        sent = [message["content"] for message in fake_server.chat_requests()[0].json()["messages"]]
        assert sent == ["seen question", "seen answer", "tui side"]
        # The new question continues the branch on screen: a sibling of the shell's, which stays in the tree.
        branch = harness.store.branch(conversation_id)
        assert [message.content for message in branch] == ["seen question", "seen answer", "tui side", "fine"]
        assert [m.content for m in harness.store.siblings(cli_question.id)] == ["cli side", "tui side"]
        # ... and is shown as one at once (it was not: the shell's branch was out of reach until reopened).
        await wait_until(pilot, lambda: view.messages[2].siblings == (2, 2))
        question = next(widget for widget in view.query(MessageView) if widget.message.content == "tui side")
        question.focus()
        await pilot.press("left")
        await wait_until(pilot, lambda: [m.content for m in view.messages][2:] == ["cli side", "cli answer"])
        assert view.messages[2].siblings == (1, 2)


async def test_a_model_chosen_right_before_a_retry_stays_chosen(tmp_path: Path, fake_server: FakeServer) -> None:
    store, conversation_id = seeded(tmp_path)
    fake_server.script(stream_text("retried"), stream_text("next"))
    harness = make_app(tmp_path, fake_server, resume=conversation_id, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        await harness.ready(pilot)
        prompt = harness.screen.query_one(PromptInput)
        prompt.text = "/model other/model"
        prompt.focus()
        await pilot.press("enter", "ctrl+r")  # Ctrl+R at once, before the settings are saved
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        await pilot.pause()
        assert fake_server.chat_requests()[0].json()["model"] == "other/model"
        assert harness.screen.session.model == "other/model"
        assert harness.screen.query_one(StatusLine).model_id == "other/model"
        assert harness.store.get_conversation(conversation_id).model == "other/model"
        prompt.text = "and then"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        assert fake_server.chat_requests()[1].json()["model"] == "other/model"
