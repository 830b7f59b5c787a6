"""Branches and reply actions in the chat: walking a message's siblings (keys and the clickable arrows),
regenerating a reply in the middle, editing a past question, continuing a stopped reply (and a server that
ignores the partial reply). Each test checks what the fake server received and what the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, make_app, wait_until
from tests.ui.conversation_support import message_text, widget_text
from toki_tui.core.continuation import RESTARTED_NOTE
from toki_tui.core.store.history_store import HistoryStore, StoredMessage
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.prompt_input import PromptInput

PARTIAL = "Rivers carry water from the mountains down towards"


class Tree:
    """A conversation seeded straight into the store before the app opens it."""

    def __init__(self, root: Path) -> None:
        (root / "data").mkdir(parents=True, exist_ok=True)
        self.store = HistoryStore(root / "data" / "history.sqlite3")
        self.store.open()
        self.id = self.store.create_conversation(endpoint="toki", model="seed/model").id

    def ask(self, question: str, parent: int | None = None) -> StoredMessage:
        return self.store.add_message(self.id, role="user", content=question, parent_id=parent)

    def answer(self, question: StoredMessage, text: str, status: str = "complete") -> StoredMessage:
        reply = self.store.start_reply(self.id, parent_id=question.id, model="seed/model", endpoint="toki", params={})
        return self.store.finish_reply(reply.id, content=text, status=status)


def contents(messages: list[Any]) -> list[str]:
    return [message["content"] if isinstance(message, dict) else message.content for message in messages]


def sent(server: FakeServer, index: int = -1) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = server.chat_requests()[index].json()["messages"]
    return messages


def shown(harness: AppHarness) -> list[str]:
    return contents(harness.screen.query_one(ConversationView).messages)


def view_of(harness: AppHarness, message_id: int) -> MessageView:
    [view] = [v for v in harness.screen.query(MessageView) if v.message.id == message_id]
    return view


async def opened(pilot: Pilot[Any], harness: AppHarness, count: int) -> None:
    await wait_until(pilot, lambda: len(harness.screen.query_one(ConversationView).messages) == count)
    await harness.ready(pilot)


async def reply_done(pilot: Pilot[Any], harness: AppHarness, requests: int) -> None:
    await wait_until(pilot, lambda: len(harness.server.chat_requests()) == requests and not harness.screen.streaming)
    await harness.app.workers.wait_for_complete()


async def test_walking_siblings_by_key_and_click_shows_and_sends_that_branch(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    tree = Tree(tmp_path)
    q1 = tree.ask("q1")
    a1 = tree.answer(q1, "a1")
    q2 = tree.ask("q2", parent=a1.id)
    a2 = tree.answer(q2, "a2")
    a1_again = tree.answer(q1, "a1 again")  # regenerated: the current branch is [q1, a1 again]
    fake_server.script(stream_text("a3"))
    harness = make_app(tmp_path, fake_server, resume=tree.id, store=tree.store)
    async with harness.app.run_test(size=(100, 40)) as pilot:
        await opened(pilot, harness, 2)
        newest = view_of(harness, a1_again.id)
        assert "‹ 2/2 ›" in widget_text(newest).splitlines()[0]
        # From the prompt, Shift+Tab reaches the newest message, Up the one above it and Down back.
        assert harness.app.focused is harness.screen.query_one(PromptInput)
        await pilot.press("shift+tab")
        assert harness.app.focused is newest
        await pilot.press("up")
        assert harness.app.focused is view_of(harness, q1.id)
        await pilot.press("down", "left")
        await wait_until(pilot, lambda: shown(harness) == ["q1", "a1", "q2", "a2"])
        # The whole branch under the sibling is shown, saved as the current one, and is what is sent next.
        assert harness.store.get_conversation(tree.id).current_leaf_id == a2.id
        await wait_until(pilot, lambda: isinstance(harness.app.focused, MessageView))
        assert harness.app.focused is view_of(harness, a1.id)
        await pilot.press("left")  # already the first: nothing happens
        # A click on "›" goes to the next sibling.
        header = widget_text(view_of(harness, a1.id)).splitlines()[0]
        assert "‹ 1/2 ›" in header
        await pilot.click(view_of(harness, a1.id), offset=(header.index("›"), 0))
        await wait_until(pilot, lambda: shown(harness) == ["q1", "a1 again"])
        assert harness.store.get_conversation(tree.id).current_leaf_id == a1_again.id
        view_of(harness, a1_again.id).focus()
        await pilot.press("left")
        await wait_until(pilot, lambda: shown(harness) == ["q1", "a1", "q2", "a2"])
        prompt = harness.screen.query_one(PromptInput)
        prompt.text = "q3"
        prompt.focus()
        await pilot.press("enter")
        await reply_done(pilot, harness, 1)
        assert contents(sent(fake_server)) == ["q1", "a1", "q2", "a2", "q3"]
        assert contents(harness.store.branch(tree.id)) == ["q1", "a1", "q2", "a2", "q3", "a3"]
        assert fake_server.chat_requests()[0].json()["messages"][-1]["role"] == "user"


async def test_regenerating_a_middle_reply_keeps_the_branch_below_on_the_old_one(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    tree = Tree(tmp_path)
    q1 = tree.ask("q1")
    a1 = tree.answer(q1, "a1")
    q2 = tree.ask("q2", parent=a1.id)
    a2 = tree.answer(q2, "a2")
    fake_server.script(stream_text("a1 regenerated"))
    harness = make_app(tmp_path, fake_server, resume=tree.id, store=tree.store)
    async with harness.app.run_test(size=(100, 40)) as pilot:
        await opened(pilot, harness, 4)
        view_of(harness, a1.id).focus()
        await pilot.press("ctrl+r")
        await reply_done(pilot, harness, 1)
        assert sent(fake_server) == [{"role": "user", "content": "q1"}]
        old, new = harness.store.siblings(a1.id)
        assert (old.id, new.content) == (a1.id, "a1 regenerated")
        assert harness.store.get_conversation(tree.id).current_leaf_id == new.id
        assert contents(harness.store.branch(tree.id, a2.id)) == ["q1", "a1", "q2", "a2"]  # kept on the old one
        await wait_until(pilot, lambda: shown(harness) == ["q1", "a1 regenerated"])
        await wait_until(pilot, lambda: view_of(harness, new.id).message.siblings == (2, 2))
        # The view was mounted by the re-open just now: wait for its first layout before reading its lines.
        await wait_until(pilot, lambda: widget_text(view_of(harness, new.id)))
        assert "‹ 2/2 ›" in widget_text(view_of(harness, new.id)).splitlines()[0]


async def test_editing_a_past_question_asks_a_sibling_and_overwrites_nothing(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    tree = Tree(tmp_path)
    q1 = tree.ask("q1")
    a1 = tree.answer(q1, "a1")
    q2 = tree.ask("q2", parent=a1.id)
    tree.answer(q2, "a2")
    fake_server.script(stream_text("a1 for the better question"))
    harness = make_app(tmp_path, fake_server, resume=tree.id, store=tree.store)
    async with harness.app.run_test(size=(100, 40)) as pilot:
        await opened(pilot, harness, 4)
        prompt = harness.screen.query_one(PromptInput)
        marker = harness.screen.query_one("#edit-marker")
        # /edit takes the last question; Esc cancels it and sends nothing.
        prompt.text = "/edit"
        prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: marker.has_class("-visible"))
        assert str(marker.render()) == "editing message 3 (Esc cancels)"
        assert prompt.text == "q2"
        await pilot.press("escape")
        assert not marker.has_class("-visible") and harness.screen.branches.editing is None and prompt.text == ""
        # Ctrl+E on the first question.
        view_of(harness, q1.id).focus()
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: prompt.text == "q1" and harness.app.focused is prompt)
        assert str(marker.render()) == "editing message 1 (Esc cancels)"
        prompt.text = "q1, better put"
        await pilot.press("enter")
        await reply_done(pilot, harness, 1)
        assert sent(fake_server) == [{"role": "user", "content": "q1, better put"}]
        assert contents(harness.store.siblings(q1.id)) == ["q1", "q1, better put"]
        assert contents(harness.store.branch(tree.id)) == ["q1, better put", "a1 for the better question"]
        assert len(harness.store.conversation_messages(tree.id)) == 6  # nothing overwritten
        await wait_until(pilot, lambda: shown(harness) == ["q1, better put", "a1 for the better question"])
        assert not marker.has_class("-visible")
        # An edit does not outlive its conversation: Ctrl+N drops it.
        await pilot.press("shift+tab", "up", "ctrl+e")  # the newest question
        await wait_until(pilot, lambda: marker.has_class("-visible"))
        await pilot.press("ctrl+n")
        assert harness.screen.branches.editing is None and not marker.has_class("-visible") and prompt.text == ""


async def test_continuing_a_stopped_reply_appends_to_the_same_row(tmp_path: Path, fake_server: FakeServer) -> None:
    tree = Tree(tmp_path)
    partial = tree.answer(tree.ask("Tell me about rivers"), PARTIAL, status="stopped")
    fake_server.script(stream_text(" the sea, shaping valleys."))
    harness = make_app(tmp_path, fake_server, resume=tree.id, store=tree.store)
    async with harness.app.run_test(size=(100, 40)) as pilot:
        await opened(pilot, harness, 2)
        assert "⏵ continue" in widget_text(view_of(harness, partial.id))
        prompt = harness.screen.query_one(PromptInput)
        prompt.text = "/continue"
        prompt.focus()
        await pilot.press("enter")
        await reply_done(pilot, harness, 1)
        assert sent(fake_server) == [
            {"role": "user", "content": "Tell me about rivers"},
            {"role": "assistant", "content": PARTIAL},
        ]
        [reply] = harness.store.siblings(partial.id)
        assert (reply.id, reply.status, reply.error) == (partial.id, "complete", None)
        assert reply.content == PARTIAL + " the sea, shaping valleys."
        assert len(harness.store.conversation_messages(tree.id)) == 2
        await wait_until(pilot, lambda: shown(harness)[-1] == PARTIAL + " the sea, shaping valleys.")
        assert "⏵ continue" not in message_text(view_of(harness, partial.id))


async def test_a_server_that_ignores_the_partial_reply_is_named_in_it(tmp_path: Path, fake_server: FakeServer) -> None:
    tree = Tree(tmp_path)
    partial = tree.answer(tree.ask("Tell me about rivers"), PARTIAL, status="length")
    restarted = "Rivers carry water from the mountains down towards the sea."
    fake_server.script(stream_text(restarted))
    harness = make_app(tmp_path, fake_server, resume=tree.id, store=tree.store)
    async with harness.app.run_test(size=(100, 40)) as pilot:
        await opened(pilot, harness, 2)
        view_of(harness, partial.id).focus()
        await pilot.press("ctrl+k")
        await reply_done(pilot, harness, 1)
        assert sent(fake_server)[-1] == {"role": "assistant", "content": PARTIAL}
        reply = harness.store.get_message(partial.id)
        assert (reply.content, reply.error) == (PARTIAL + restarted, RESTARTED_NOTE)
        await wait_until(pilot, lambda: shown(harness)[-1] == PARTIAL + restarted)
        assert f"ⓘ {RESTARTED_NOTE}" in " ".join(message_text(view_of(harness, partial.id)).split())


def test_branch_commands_parse_and_refuse_an_argument() -> None:
    import pytest

    from toki_tui.ui.slash_commands import BranchCommand, SlashCommandError, parse_slash_command

    assert [parse_slash_command(f"/{name}") for name in ("regenerate", "edit", "continue")] == [
        BranchCommand("regenerate"),
        BranchCommand("edit"),
        BranchCommand("continue"),
    ]
    with pytest.raises(SlashCommandError, match="/continue takes no argument"):
        parse_slash_command("/continue please")


async def test_shift_tab_reaches_the_messages_with_the_sidebar_open(tmp_path: Path, fake_server: FakeServer) -> None:
    """At a width where the parameter sidebar shows, its fields follow the prompt in the focus chain: Shift+Tab
    from the prompt still goes to the newest message, where ← walks to the older sibling."""
    fake_server.script(stream_text("answer one"), stream_text("answer two"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        prompt = harness.screen.query_one(PromptInput)
        prompt.text = "first question"
        prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        # A question sent in this session (shown before it was stored) can be edited once its reply has ended.
        question = next(view for view in harness.screen.query(MessageView) if view.message.role == "user")
        await wait_until(pilot, lambda: question.message.id is not None)
        [conversation] = harness.store.list_conversations()
        assert question.message.id == harness.store.branch(conversation.id)[0].id
        question.focus()
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: prompt.text == "first question")
        await pilot.press("escape")
        assert prompt.text == "" and harness.screen.branches.editing is None
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        await wait_until(pilot, lambda: harness.app.focused is prompt)
        await pilot.press("shift+tab")
        assert isinstance(harness.app.focused, MessageView) and harness.app.focused.message.content == "answer two"
        await pilot.press("left")
        await wait_until(
            pilot, lambda: any(v.message.content == "answer one" for v in harness.screen.query(MessageView))
        )
