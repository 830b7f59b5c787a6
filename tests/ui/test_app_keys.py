"""Keys: the transcript scrolls from the prompt, typing never lands in a widget that ignores it,
the history list gets the focus it should, and the F1 help lines up."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, type_text, wait_until
from tests.ui.test_app_history_and_keys import open_store, seed
from toki_tui.ui.screens.help import HelpScreen
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.prompt_input import PromptInput


def focused(widget: Widget) -> bool:
    """A function, not the property, so a type checker does not take one answer for all later ones."""
    return widget.has_focus


def expanded(view: MessageView) -> bool:
    return view.reasoning_expanded


async def test_page_keys_scroll_the_transcript_from_the_prompt(tmp_path: Path, fake_server: FakeServer) -> None:
    store = open_store(tmp_path)
    seed(store, "long", 200)
    harness = make_app(tmp_path, fake_server, resume="last", store=store)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        prompt = harness.app.screen.query_one(PromptInput)
        await wait_until(pilot, lambda: len(view.messages) > 0 and view.max_scroll_y > 0)
        await pilot.pause()
        await wait_until(pilot, lambda: view.scroll_y == view.max_scroll_y)
        known = len(view.messages)
        bottom = view.scroll_y
        await pilot.press("pageup")
        await wait_until(pilot, lambda: view.scroll_y < bottom)
        assert bottom - view.scroll_y >= view.scrollable_content_region.height - 1
        assert prompt.has_focus
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: view.scroll_y == view.max_scroll_y)
        # Ctrl+Home goes to the top of what is loaded; going on loads older messages, as the mouse wheel does.
        for _ in range(10):
            await pilot.press("ctrl+home")
            await pilot.pause()
            if len(view.messages) > known:
                break
        await wait_until(pilot, lambda: len(view.messages) > known)
        assert view.scroll_y < view.max_scroll_y
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: view.scroll_y == view.max_scroll_y)
        assert view.messages[-1].content == "answer 199"
        assert prompt.has_focus
        # The same keys work with the focus on a message (Shift+Tab) or in the pane itself, not only from the prompt.
        await pilot.press("shift+tab")
        await wait_until(pilot, lambda: view.has_focus_within and not prompt.has_focus)
        at_bottom = view.scroll_y
        await pilot.press("ctrl+home")
        await wait_until(pilot, lambda: view.scroll_y < at_bottom - view.scrollable_content_region.height)
        view.focus()
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: view.scroll_y == view.max_scroll_y)
        await pilot.press("pageup")
        await wait_until(pilot, lambda: view.scroll_y < view.max_scroll_y)
        prompt.focus()
        await enter_text(pilot, "still typing")
        assert prompt.text == "still typing"
        # Keys that arrive together (a fast typist, a paste of keystrokes) apply in the order typed: an editing key
        # the prompt binds (Backspace, Ctrl+W) is not overtaken by the characters typed after it.
        for key, character in [("backspace", None), ("backspace", None), ("e", "e"), ("ctrl+w", None), ("o", "o")]:
            harness.app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: prompt.text.endswith("o"))
        await pilot.pause()
        assert prompt.text == "still o"


def seed_with_thinking(root: Path) -> None:
    store = open_store(root)
    conversation = store.create_conversation(endpoint="toki", model="seed/model", system_prompt=None, params={})
    question = store.add_message(conversation.id, role="user", content="why?")
    reply = store.start_reply(conversation.id, parent_id=question.id, model="seed/model", endpoint="toki", params={})
    store.finish_reply(reply.id, content="Because.", reasoning="Let me think about it.", status="complete")
    store.close()


async def test_typing_after_a_click_on_thinking_goes_to_the_prompt(tmp_path: Path, fake_server: FakeServer) -> None:
    seed_with_thinking(tmp_path)
    fake_server.script(stream_text("sure"))
    harness = make_app(tmp_path, fake_server, resume="last", store=open_store(tmp_path))
    async with harness.app.run_test(size=(100, 30)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        prompt = harness.app.screen.query_one(PromptInput)
        await wait_until(pilot, lambda: len(view.query(MessageView)) == 2)
        await pilot.pause()
        answer = list(view.query(MessageView))[-1]
        assert answer.has_reasoning and not expanded(answer)
        await pilot.click(answer, offset=(4, 1))  # "▸ Thinking"
        assert expanded(answer)
        assert not focused(prompt)  # the click focused the transcript, as a click does
        await type_text(pilot, "tell me more")
        assert expanded(answer), "a letter typed in the transcript toggled the thinking"
        assert focused(prompt)
        assert prompt.text == "tell me more"
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        assert fake_server.chat_requests()[0].json()["messages"][-1] == {"role": "user", "content": "tell me more"}
        # Folding the thinking has a key of its own, which leaves typing alone.
        await pilot.press("f3")
        assert not expanded(answer)
        assert prompt.has_focus


async def test_f3_folds_the_thinking_from_the_prompt(tmp_path: Path, fake_server: FakeServer) -> None:
    seed_with_thinking(tmp_path)
    harness = make_app(tmp_path, fake_server, resume="last", store=open_store(tmp_path))
    async with harness.app.run_test(size=(100, 30)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.query(MessageView)) == 2)
        answer = list(view.query(MessageView))[-1]
        await pilot.press("f3")
        assert expanded(answer)
        await pilot.press("f3")
        assert not expanded(answer)
        assert harness.app.screen.query_one(PromptInput).text == ""


async def test_ctrl_b_focuses_the_history_search_and_gives_the_focus_back(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    store = open_store(tmp_path)
    seed(store, "apples", 2)
    seed(store, "pears", 2)
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        history = harness.app.screen.query_one(HistoryList)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: history.option_count == 2)
        await enter_text(pilot, "apples")
        search = history.query_one("#history-search", Input)
        assert search.value == "apples"
        await wait_until(pilot, lambda: history.option_count == 1)
        # Down reaches the list; letters typed there go back to the search.
        await pilot.press("down")
        assert focused(history.query_one(OptionList))
        await type_text(pilot, "x")
        assert focused(search) and search.value == "applesx"
        await pilot.press("ctrl+b")
        await pilot.pause()
        prompt = harness.app.screen.query_one(PromptInput)
        assert prompt.has_focus
        await enter_text(pilot, "hi")
        assert prompt.text == "hi"


async def test_f1_help_columns_line_up_and_wrapped_lines_are_indented(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(harness.app.screen, HelpScreen)
        await pilot.pause()
        help_text = harness.app.screen.query_one("#help-text", Static)
        width = help_text.size.width
        lines = str(help_text.render()).splitlines()
        assert all(len(line) <= width for line in lines), "a line is wider than the help pane"
        [penalty] = [line for line in lines if line.strip().startswith("/frequency_penalty")]
        assert "/frequency_penalty -2..2|off  " in penalty
        column = penalty.index("penalise")
        [enter] = [line for line in lines if line.strip().startswith("Enter ")]
        assert enter.index("send the prompt") == column
        # One long command does not push the column right for all (it left descriptions a third of the width):
        # it has its line to itself, its description under it in the column.
        assert column <= 2 + 28 + 2, f"the descriptions start at column {column}"
        long_label = next(i for i, line in enumerate(lines) if line.strip() == "/tool_choice auto|none|required|NAME")
        assert lines[long_label + 1][column - 2 : column + 1].startswith("  ") and lines[long_label + 1][column] != " "
        # Every other entry's description starts in that column, and wrapped ones continue there.
        entries = [line for line in lines if line.startswith("  ") and line.strip() and "/tool_choice " not in line]
        for line in entries:
            assert line[column - 2 : column] == "  " and line[column] != " ", f"misaligned: {line!r}"
        assert any(line.startswith(" " * column) for line in entries), "nothing wrapped at 80 columns?"
        await pilot.press("f1")
        assert not isinstance(harness.app.screen, HelpScreen)
