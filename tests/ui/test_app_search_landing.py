"""Opening a search hit from the history list lands on the hit: its branch shown, scrolled to it, the matched
words marked, and the next message continues that branch."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import make_app, wait_until
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.search_marks import MATCH_STYLE, mark_words, matched_words
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.prompt_input import PromptInput


def seed(root: Path) -> tuple[HistoryStore, str, int, int]:
    """A long conversation whose early reply was regenerated: the first version, on a branch not shown, holds
    the word searched for, far above the newest messages (outside the window the pane mounts at first)."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(root / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="m", title="Long talk")
    question = store.add_message(conversation.id, role="user", content="Where should I travel?")
    hit = store.add_message(conversation.id, role="assistant", content="Try Zanzibar in June.", parent_id=question.id)
    follow_up = store.add_message(conversation.id, role="user", content="Why there?", parent_id=hit.id)
    hit_leaf = store.add_message(conversation.id, role="assistant", content="Beaches.", parent_id=follow_up.id)
    parent = store.add_message(conversation.id, role="assistant", content="Try Lisbon.", parent_id=question.id).id
    for index in range(150):
        role = "user" if index % 2 == 0 else "assistant"
        parent = store.add_message(conversation.id, role=role, content=f"message {index}", parent_id=parent).id
    return store, conversation.id, hit.id, hit_leaf.id


async def test_a_search_hit_opens_on_its_branch_scrolled_to_it_and_marked(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store, conversation_id, hit_id, hit_leaf_id = seed(tmp_path)
    fake_server.script(stream_text("Noted."))
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.ready(pilot)
        await pilot.press("ctrl+b")
        search = harness.screen.query_one("#history-search", Input)
        search.value = "zanzibar"
        options = harness.screen.query_one("#history-options", OptionList)
        await wait_until(
            pilot, lambda: options.option_count == 1 and "Zanzibar" in str(options.get_option_at_index(0).prompt)
        )
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")

        view = harness.screen.query_one(ConversationView)

        def hit_view() -> MessageView | None:
            return next((v for v in view.query(MessageView) if v.message.id == hit_id), None)

        await wait_until(pilot, lambda: hit_view() is not None)
        await wait_until(pilot, lambda: view.region.contains_region(hit_view().region))  # type: ignore[union-attr]
        shown = [m.content for m in view.messages]
        assert shown == ["Where should I travel?", "Try Zanzibar in June.", "Why there?", "Beaches."]
        assert hit_view()._marked_words == ("zanzibar",)  # type: ignore[union-attr]
        assert harness.screen.focused is harness.screen.query_one(PromptInput)

        prompt = harness.screen.query_one(PromptInput)
        prompt.text = "/export md"  # the branch on screen, not the conversation's current one
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "Long-talk.md").exists())
        exported = (tmp_path / "Long-talk.md").read_text()
        assert "Zanzibar" in exported and "Beaches." in exported and "message 149" not in exported

        prompt.text = "and in July?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        sent = [m["content"] for m in fake_server.chat_requests()[0].json()["messages"]]
        assert sent[-2:] == ["Beaches.", "and in July?"]  # the hit's branch, not the newest one
        question = next(m for m in store.branch(conversation_id) if m.content == "and in July?")
        assert question.parent_id == hit_leaf_id


async def test_a_hit_deep_in_a_long_branch_is_mounted_and_shown(tmp_path: Path, fake_server: FakeServer) -> None:
    """The hit far above the newest messages of the branch shown: the pane mounts the window around it."""
    (tmp_path / "data").mkdir(parents=True)
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="m", title="Long")
    hit_id = 0
    for index in range(200):
        content = "the kumquat one" if index == 20 else f"message {index}"
        message = store.add_message(conversation.id, role="user" if index % 2 == 0 else "assistant", content=content)
        hit_id = message.id if index == 20 else hit_id
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.ready(pilot)
        await pilot.press("ctrl+b")
        harness.screen.query_one("#history-search", Input).value = "kumquat"
        options = harness.screen.query_one("#history-options", OptionList)
        await wait_until(
            pilot, lambda: options.option_count == 1 and "kumquat" in str(options.get_option_at_index(0).prompt)
        )
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")
        view = harness.screen.query_one(ConversationView)

        def hit_view() -> MessageView | None:
            return next((v for v in view.query(MessageView) if v.message.id == hit_id), None)

        await wait_until(pilot, lambda: hit_view() is not None)
        await wait_until(pilot, lambda: view.region.contains_region(hit_view().region))  # type: ignore[union-attr]
        assert view.mounted_message_count <= ConversationView.MAX_MOUNTED


def test_matched_words_and_their_marks() -> None:
    from rich.segment import Segment

    from toki_tui.core.store.search import SNIPPET_END, SNIPPET_START

    assert matched_words(f"a {SNIPPET_START}Cat{SNIPPET_END} and {SNIPPET_START}cats{SNIPPET_END}") == ("cats", "cat")
    marked = mark_words([Segment("My cats, "), Segment("日本語 cat")], ("cats", "cat", "日本"))
    styled = [(s.text, s.style == MATCH_STYLE) for s in marked if s.text]
    assert ("cats", True) in styled and ("cat", True) in styled and ("日本", True) in styled
    assert "".join(s.text for s in marked) == "My cats, 日本語 cat"
