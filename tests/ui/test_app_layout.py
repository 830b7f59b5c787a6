"""The layout: the sidebars collapse in a small terminal and show in a big one, never squeezing the prompt away;
messages re-wrap when a sidebar takes columns from the conversation (also while a reply streams and after a
resize), and notifications leave the prompt and the status line visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets._toast import Toast

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.live_reply import LiveReply
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine

LONG_ANSWER = (
    "Open the file in binary mode, so no decoding happens and every byte arrives exactly as it was written "
    "on disk; then read it in chunks of one megabyte until the read returns nothing at all."
)


def seed_long_answer(root: Path) -> HistoryStore:
    (root / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(root / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="seed/model", system_prompt=None, params={})
    question = store.add_message(conversation.id, role="user", content="How do I read a big file?")
    reply = store.start_reply(conversation.id, parent_id=question.id, model="seed/model", endpoint="toki", params={})
    store.finish_reply(reply.id, content=LONG_ANSWER, status="complete")
    return store


def shown_lines(view: MessageView) -> list[str]:
    """The lines the widget paints, each checked to fit inside the conversation pane and clear of the sidebar."""
    conversation = view.screen.query_one(ConversationView)
    pane = conversation.content_region
    sidebar = view.screen.query_one(ParameterSidebar)
    if sidebar.display:
        assert not pane.overlaps(sidebar.region), "the sidebar covers the conversation"
    lines = []
    for y in range(view.size.height):
        strip = view.render_line(y)
        assert strip.cell_length <= pane.width, f"line {y} is wider than the pane: {strip.text!r}"
        lines.append(strip.text)
    return lines


def words_of(lines: list[str]) -> list[str]:
    return " ".join(lines).split()


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.pause()


async def test_a_sidebar_in_a_narrow_terminal_rewraps_the_messages(tmp_path: Path, fake_server: FakeServer) -> None:
    store = seed_long_answer(tmp_path)
    harness = make_app(tmp_path, fake_server, resume="last", store=store)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        await settle(pilot)
        answer = list(view.query(MessageView))[-1]
        wide_width = view.content_region.width
        assert set(LONG_ANSWER.split()) <= set(words_of(shown_lines(answer)))
        await pilot.press("f2")
        await settle(pilot)
        assert harness.app.screen.query_one(ParameterSidebar).display
        assert view.content_region.width < wide_width, "the conversation kept its width under the sidebar"
        lines = shown_lines(answer)
        assert words_of(lines)[-len(LONG_ANSWER.split()) :] == LONG_ANSWER.split()
        # A resize with the sidebar open re-wraps again.
        await pilot.resize_terminal(90, 24)
        await settle(pilot)
        assert words_of(shown_lines(answer))[-len(LONG_ANSWER.split()) :] == LONG_ANSWER.split()
        await pilot.press("f2")
        await settle(pilot)
        assert view.content_region.width > wide_width - 1
        assert words_of(shown_lines(answer))[-len(LONG_ANSWER.split()) :] == LONG_ANSWER.split()


async def test_a_streaming_reply_rewraps_when_the_sidebar_opens(tmp_path: Path, fake_server: FakeServer) -> None:
    words = [word + " " for word in LONG_ANSWER.split()] * 3
    fake_server.script(stream_text(words, chunk_delay=0.03))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        await enter_text(pilot, "explain")
        await pilot.press("enter")
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: view.live_reply is not None and len(view.live_reply.content) > 80)
        await pilot.press("f2")
        await settle(pilot)
        live = view.live_reply
        assert isinstance(live, LiveReply)
        live.flush()
        await settle(pilot)
        shown_lines(live)
        await wait_until(pilot, lambda: not harness.screen.streaming, timeout=10)
        await settle(pilot)
        finished = list(view.query(MessageView))[-1]
        assert words_of(shown_lines(finished))[-len(words) :] == "".join(words).split()


async def test_notifications_leave_the_prompt_and_status_line_visible(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24), notifications=True) as pilot:
        await enter_text(pilot, "/temperature 0.3")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(harness.app.screen.query(Toast)) > 0)
        await settle(pilot)
        screen = harness.app.screen
        [toast] = screen.query(Toast)
        assert "temperature = 0.3" in str(toast.render())
        assert toast.region.height > 0
        for covered in (screen.query_one(PromptInput), screen.query_one(StatusLine)):
            assert not toast.region.overlaps(covered.region), f"the notification covers {covered!r}"


async def test_with_no_room_for_both_sidebars_the_one_opened_last_shows(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    """At 60 columns two 30-column sidebars left the prompt no width, and the app crashed laying it out."""
    from toki_tui.ui.screens.sidebar_layout import MIN_CONVERSATION_WIDTH

    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(60, 24)) as pilot:
        await harness.ready(pilot)
        screen = harness.screen
        for key, shown, hidden in (("ctrl+b", "history", "params"), ("f2", "params", "history")):
            await pilot.press(key)
            await pilot.pause()
            assert not screen.has_class(f"-hide-{shown}") and screen.has_class(f"-hide-{hidden}"), key
            assert screen.query_one("#prompt").region.width >= MIN_CONVERSATION_WIDTH
        await pilot.press("ctrl+b")  # wanted again: it comes back, in place of the parameters
        await pilot.pause()
        assert not screen.has_class("-hide-history") and screen.has_class("-hide-params")
        await pilot.resize_terminal(120, 24)  # room for both: both show
        await pilot.pause()
        assert not screen.has_class("-hide-history") and not screen.has_class("-hide-params")


async def test_sidebars_collapse_at_80x24_and_show_at_200x60(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        screen = harness.app.screen
        assert not screen.query_one(HistoryList).display or screen.has_class("-hide-history")
        assert screen.has_class("-hide-params") and screen.has_class("-hide-history")
        assert screen.query_one("#prompt").region.height >= 2
        assert screen.query_one("#conversation").region.width >= 78
        await pilot.press("ctrl+b")
        assert not screen.has_class("-hide-history")
        await pilot.press("ctrl+b")
        await pilot.press("f2")
        assert not screen.has_class("-hide-params")
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert not screen.has_class("-hide-params")
    harness = make_app(tmp_path / "wide", fake_server)
    async with harness.app.run_test(size=(200, 60)) as pilot:
        screen = harness.app.screen
        assert not screen.has_class("-hide-history") and not screen.has_class("-hide-params")
        assert screen.query_one(ParameterSidebar).region.width > 0
        assert screen.query_one(HistoryList).region.width > 0
        assert screen.query_one("#conversation").region.width >= 100
