"""The chat screen end to end in-process: what the fake server received, what the store holds, what is shown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.fakes.server import FakeServer, openai_error_reply, rate_limit_reply, stream_text
from tests.ui.app_support import enter_text, make_app, type_text, wait_for_request_end, wait_until
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine


async def test_enter_sends_and_the_store_keeps_both_messages(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("Hello **there**, friend."))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "hi toki")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not harness.screen.streaming and fake_server.chat_requests())
        await harness.app.workers.wait_for_complete()
        [request] = fake_server.chat_requests()
        body = request.json()
        assert body["messages"][-1] == {"role": "user", "content": "hi toki"}
        assert body["stream"] is True
        assert "temperature" not in body  # nothing set: the server's default applies
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        branch = harness.store.branch(conversation_id)
        assert [(m.role, m.content, m.status) for m in branch] == [
            ("user", "hi toki", "complete"),
            ("assistant", "Hello **there**, friend.", "complete"),
        ]
        shown = harness.app.screen.query_one(ConversationView).messages
        assert [m.role for m in shown] == ["user", "assistant"]
        assert harness.app.screen.query_one(StatusLine).last_usage is not None
        assert harness.app.screen.query_one(PromptInput).text == ""


async def test_typing_ctrl_j_inserts_a_newline_instead_of_sending(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "one")
        await pilot.press("ctrl+j")
        await type_text(pilot, "two")
        prompt = harness.app.screen.query_one(PromptInput)
        assert prompt.text == "one\ntwo"
        assert "Ctrl+J" in str(prompt.placeholder)
        assert fake_server.chat_requests() == []


async def test_slash_temperature_applies_to_the_next_request(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("one"), stream_text("two"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1 and not harness.screen.streaming)
        await enter_text(pilot, "/temperature 0.3")
        await pilot.press("enter")
        await enter_text(pilot, "/max_tokens 500")
        await pilot.press("enter")
        await enter_text(pilot, "second")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        first, second = (r.json() for r in fake_server.chat_requests())
        assert "temperature" not in first
        assert second["temperature"] == 0.3
        assert second["max_tokens"] == 500
        # The sidebar shows the change, and the conversation keeps its settings.
        sidebar = harness.app.screen.query_one(ParameterSidebar)
        assert sidebar.query_one("#param-temperature", Input).value == "0.3"
        conversation = harness.store.get_conversation(harness.screen.session.conversation_id)
        assert conversation.params["temperature"] == 0.3


async def test_a_temperature_of_3_is_refused_on_the_spot(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("ok"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50)) as pilot:
        await harness.ready(pilot)
        field = harness.app.screen.query_one("#param-temperature", Input)
        field.focus()
        await enter_text(pilot, "3")
        error = harness.app.screen.query_one("#param-temperature-error", Static)
        assert "from 0 to 2" in str(error.render())
        assert field.has_class("-invalid")
        assert harness.screen.session.params.temperature is None
        # The slash command is refused the same way, and the text stays in the prompt to be fixed.
        prompt = harness.app.screen.query_one(PromptInput)
        prompt.focus()
        await enter_text(pilot, "/temperature 3")
        await pilot.press("enter")
        assert prompt.text == "/temperature 3"
        assert harness.screen.session.params.temperature is None
        prompt.clear()
        # A valid value typed in the sidebar applies to the next request.
        field.focus()
        await pilot.press("backspace")
        await enter_text(pilot, "1.5")
        assert harness.screen.session.params.temperature == 1.5
        prompt.focus()
        await enter_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        assert fake_server.chat_requests()[0].json()["temperature"] == 1.5


async def test_escape_stops_the_reply_closes_the_connection_and_keeps_the_text(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    words = [f"word{i} " for i in range(400)]
    fake_server.script(stream_text(words, chunk_delay=0.02))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "talk a lot")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: harness.screen.session.reply is not None and "word5" in harness.screen.session.reply.content
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: not harness.screen.streaming)
        [request] = fake_server.chat_requests()
        await wait_for_request_end(request)
        assert request.disconnected.is_set(), "the HTTP response was not closed"
        assert not request.completed.is_set()
        branch = harness.store.branch(harness.screen.session.conversation_id)
        reply = branch[-1]
        assert reply.status == "stopped"
        assert reply.content.startswith("word0 word1 word2")
        assert "word399" not in reply.content
        shown = harness.app.screen.query_one(ConversationView).messages[-1]
        assert shown.status == "stopped"
        assert harness.app.screen.query_one(StatusLine).state == "stopped"


async def test_a_server_error_is_shown_with_its_message_and_retry_works(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script(openai_error_reply(400, "model 'nope' does not exist"), stream_text("Second time lucky."))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        failed = harness.app.screen.query_one(ConversationView).messages[-1]
        assert failed.status == "error"
        assert failed.error is not None and "model 'nope' does not exist" in failed.error
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        retried = fake_server.chat_requests()[1].json()
        assert retried["messages"] == [{"role": "user", "content": "hello"}]
        branch = harness.store.branch(harness.screen.session.conversation_id)
        assert [(m.role, m.status) for m in branch] == [("user", "complete"), ("assistant", "complete")]
        await wait_until(
            pilot, lambda: harness.app.screen.query_one(ConversationView).messages[-1].content == "Second time lucky."
        )


async def test_a_429_shows_its_countdown_then_the_reply(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(rate_limit_reply(retry_after=2), stream_text("after the wait"))
    harness = make_app(tmp_path, fake_server, max_retries=1)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "hello")
        await pilot.press("enter")
        status = harness.app.screen.query_one(StatusLine)
        await wait_until(pilot, lambda: "retrying in" in status.notice)
        assert status.notice.rstrip("s ").split()[-1] in {"1", "2"}
        await wait_until(pilot, lambda: not harness.screen.streaming, timeout=8)
        assert len(fake_server.chat_requests()) == 2
        assert harness.app.screen.query_one(ConversationView).messages[-1].content == "after the wait"
        assert status.notice == ""


async def test_ctrl_q_quits(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert harness.app.return_value == 0
    assert not harness.app.is_running


async def test_ctrl_q_while_a_reply_streams_records_it_stopped_and_closes_its_connection(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script(stream_text([f"word{i} " for i in range(400)], chunk_delay=0.02))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "talk a lot")
        await pilot.press("enter")
        session = harness.screen.session
        await wait_until(pilot, lambda: session.reply is not None and "word5" in session.reply.content)
        await pilot.press("ctrl+q")
    # As Esc would, before the app exits: the reply recorded as stopped, its connection closed.
    reply = harness.store.branch(session.conversation_id)[-1]
    assert reply.status == "stopped" and reply.content.startswith("word0 word1")
    [request] = fake_server.chat_requests()
    await wait_for_request_end(request)
    assert request.disconnected.is_set() and not request.completed.is_set()


async def test_text_and_enter_arriving_in_one_burst_are_sent_whole(tmp_path: Path, fake_server: FakeServer) -> None:
    """A terminal delivers fast typing (or a paste without bracketed paste) as one burst of key events; the
    Enter at its end must see every character before it."""
    from textual import events

    fake_server.script(stream_text("ok"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        names = {" ": "space", "/": "slash", ".": "full_stop"}
        for character in "/temperature 0.3\rfast words\r":
            key = "enter" if character == "\r" else names.get(character, character)
            harness.app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: bool(fake_server.chat_requests()))
        await wait_for_request_end(fake_server.chat_requests()[0])
        body = fake_server.chat_requests()[0].json()
        assert body["messages"][-1] == {"role": "user", "content": "fast words"}
        assert body["temperature"] == 0.3
