"""The conversation pane: a bounded window of mounted messages, loading older ones on scroll-up, following the
bottom while streaming, and the retry action."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TypeVar

from textual.message import Message
from textual.pilot import Pilot

from tests.ui.conversation_support import ConversationApp, make_messages, message_text, screen_text, widget_text
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.tool_fold import FOLD_CHARS, FOLD_LINES, fold_head

T = TypeVar("T", bound=Message)


def posted_of(posted: list[Message], kind: type[T]) -> list[T]:
    """Each posted message of `kind` once (the hook sees a message again at every node it bubbles through)."""
    unique = {id(message): message for message in posted if isinstance(message, kind)}
    return list(unique.values())


async def test_opening_5000_messages_mounts_a_bounded_window_showing_the_latest() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.conversation
        view.show_messages(make_messages(5000), has_older=False)
        await pilot.pause()
        mounted = list(view.query(MessageView))
        assert len(mounted) == ConversationView.INITIAL_WINDOW
        assert view.mounted_message_count == len(mounted)
        assert len(view.messages) == 5000
        assert "message number 5000" in screen_text(app)  # the newest is on screen
        assert view.scroll_y == view.max_scroll_y


async def test_scrolling_up_mounts_older_messages_then_asks_for_more_and_keeps_the_position() -> None:
    posted: list[Message] = []
    app = ConversationApp()
    async with app.run_test(size=(100, 40), message_hook=posted.append) as pilot:
        view = app.conversation
        view.show_messages(make_messages(60, first_id=1000), has_older=True)
        await pilot.pause()
        assert view.mounted_message_count == ConversationView.INITIAL_WINDOW

        view.scroll_home(animate=False)
        await pilot.pause()
        assert view.mounted_message_count == 60  # the rest of what it was given, mounted on scroll-up
        assert not posted_of(posted, ConversationView.OlderMessagesWanted)

        view.scroll_home(animate=False)
        await pilot.pause()
        [wanted] = posted_of(posted, ConversationView.OlderMessagesWanted)
        assert wanted.before_message_id == 1000

        top_view = next(iter(view.query(MessageView)))
        assert top_view.message.id == 1000
        screen_y_before = top_view.region.y
        view.prepend_older(make_messages(20, first_id=980), has_older=False)
        await pilot.pause()
        await pilot.pause()
        assert view.messages[0].id == 980
        assert view.mounted_message_count == 80
        assert top_view.region.y == screen_y_before  # what the user looked at did not move


async def test_the_window_stays_bounded_when_the_user_keeps_scrolling_up() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.conversation
        view.show_messages(make_messages(1000), has_older=False)
        await pilot.pause()
        for _ in range(8):
            view.scroll_home(animate=False)
            await pilot.pause()
            await pilot.pause()
        assert len(view.query(MessageView)) <= ConversationView.MAX_MOUNTED
        assert view.mounted_message_count <= ConversationView.MAX_MOUNTED
        view.action_scroll_transcript("latest")
        await pilot.pause()
        assert "message number 1000" in screen_text(app)


async def test_follows_the_bottom_unless_the_user_scrolled_up() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.conversation
        view.show_messages(make_messages(10), has_older=False)
        await pilot.pause()
        live = view.start_reply(model=None)
        for line in range(40):
            live.append_content(f"line {line}\n\n")
        live.flush()
        await pilot.pause()
        assert view.max_scroll_y > 0
        assert view.scroll_y == view.max_scroll_y  # following

        view.scroll_up(animate=False)
        await pilot.pause()
        held_at = view.scroll_y
        for line in range(40, 80):
            live.append_content(f"line {line}\n\n")
        live.flush()
        await pilot.pause()
        assert view.scroll_y == held_at < view.max_scroll_y  # the reader is left alone

        view.scroll_end(animate=False)
        await pilot.pause()
        for line in range(80, 120):
            live.append_content(f"line {line}\n\n")
        live.flush()
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y  # following again
        assert "line 119" in screen_text(app)


async def test_retry_on_an_error_message_posts_retry_requested() -> None:
    posted: list[Message] = []
    app = ConversationApp()
    async with app.run_test(size=(100, 30), message_hook=posted.append) as pilot:
        view = app.conversation
        failed = DisplayMessage(id=7, role="assistant", content="partial", status="error", error="HTTP 500: boom")
        view.show_messages([*make_messages(2), failed], has_older=False)
        await pilot.pause()
        error_view = list(view.query(MessageView))[-1]
        lines = widget_text(error_view).splitlines()
        [row] = [y for y, line in enumerate(lines) if "↻ retry" in line]
        assert "✖ error: HTTP 500: boom" in lines[row]
        await pilot.click(error_view, offset=(lines[row].index("↻ retry") + 1, row))
        [retry] = posted_of(posted, ConversationView.RetryRequested)
        assert retry.message_id == 7

        view.action_retry()  # what the chat screen's Ctrl+R does (the pane itself has no letter keys)
        await pilot.pause()
        assert len(posted_of(posted, ConversationView.RetryRequested)) == 2
        view.focus()
        await pilot.press("r")  # typing is passed on to the prompt, never read as a command
        assert len(posted_of(posted, ConversationView.RetryRequested)) == 2
        assert [m.text for m in posted_of(posted, ConversationView.TypedHere)] == ["r"]


async def test_statuses_are_shown_as_badges() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.conversation
        view.show_messages(
            [
                DisplayMessage(id=1, role="assistant", content="cut", status="interrupted"),
                DisplayMessage(id=2, role="assistant", content="long", status="length"),
                DisplayMessage(id=3, role="assistant", content="half", status="stopped"),
            ],
            has_older=False,
        )
        await pilot.pause()
        text = screen_text(app)
        assert "⚠ interrupted" in text
        assert "… truncated" in text
        assert "■ stopped" in text


async def test_append_message_and_clear() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.conversation
        view.append_message(DisplayMessage(id=1, role="user", content="**not bold** [b]x[/b]"))
        await pilot.pause()
        assert "**not bold** [b]x[/b]" in screen_text(app)  # user text is shown exactly as typed
        view.clear()
        await pilot.pause()
        assert not view.query(MessageView)
        assert view.messages == []


def test_display_message_from_a_stored_row() -> None:
    row = SimpleNamespace(
        id=5,
        role="assistant",
        content="hi",
        reasoning="",
        status="length",
        model="m",
        error=None,
        tool_calls='[{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]',
        usage='{"completion_tokens": 3}',
    )
    message = DisplayMessage.from_stored(row)
    assert message.reasoning is None
    assert message.status == "length"
    assert message.tool_calls == [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert message.usage == {"completion_tokens": 3}


async def test_selecting_a_message_copies_its_text_without_the_frame() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.conversation
        view.show_messages(
            [DisplayMessage(id=1, role="assistant", content="Some **bold** words.\n\n```python\nx = 1\n```")],
            has_older=False,
        )
        await pilot.pause()
        message_view = view.query_one(MessageView)
        message_view.text_select_all()
        await pilot.pause()
        selected = app.screen.get_selected_text()
        assert selected is not None
        assert "Some bold words." in selected and "x = 1" in selected
        assert "▌" not in selected


async def test_a_short_conversation_with_older_messages_asks_for_them_at_once() -> None:
    posted: list[Message] = []
    app = ConversationApp()
    async with app.run_test(size=(100, 40), message_hook=posted.append) as pilot:
        app.conversation.show_messages(make_messages(2, first_id=50), has_older=True)
        await pilot.pause()
        await pilot.pause()
        [wanted] = posted_of(posted, ConversationView.OlderMessagesWanted)
        assert wanted.before_message_id == 50


def test_display_message_from_a_real_store_row() -> None:
    from toki_tui.core.store.records import StoredMessage

    fields: dict[str, object] = dict.fromkeys(StoredMessage.__dataclass_fields__)
    fields.update(
        id=9, conversation_id="c", role="assistant", content="answer", reasoning="why", status="interrupted",
        created_at=0.0, model="toki-1", usage={"completion_tokens": 5},
    )  # fmt: skip
    message = DisplayMessage.from_stored(StoredMessage(**fields))  # type: ignore[arg-type]
    assert (message.id, message.content, message.reasoning, message.status) == (9, "answer", "why", "interrupted")
    assert message.usage == {"completion_tokens": 5}


async def test_while_following_only_the_last_screens_stay_mounted_and_scrolling_up_brings_back_the_rest() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.conversation
        view.show_messages(make_messages(4), has_older=False)
        await pilot.pause()
        await chat_turns(view, pilot, turns=12, reply_lines=30)
        assert "reply 11 line 29" in screen_text(app)
        # 28 messages, each reply ~60 lines: five screens of the pane hold the newest few, plus the minimum.
        mounted = view.mounted_message_count
        assert ConversationView.FOLLOW_MIN_MESSAGES <= mounted <= ConversationView.FOLLOW_MIN_MESSAGES + 2
        assert len(view.query(MessageView)) == mounted
        assert len(view.messages) == 28  # unmounted, not forgotten

        for _ in range(12):  # scrolling up mounts the older ones again, down to the first message
            view.action_scroll_transcript("oldest")
            await pilot.pause()
            await pilot.pause()
        assert "message number 1" in screen_text(app)
        assert view.mounted_message_count > mounted

        view.scroll_up(animate=False)  # not following now: a new reply leaves the window alone
        await pilot.pause()
        before = view.mounted_message_count
        view.start_reply(model=None).finish(status="complete")
        await pilot.pause()
        assert view.mounted_message_count == before + 1


async def test_a_pane_that_grows_taller_than_the_mounted_messages_mounts_older_ones() -> None:
    """A follow trim keeps a few screens mounted; maximising a small terminal may leave them short of filling the
    pane, with nothing to scroll: the older messages must be mounted at once, or they could not be reached."""
    app = ConversationApp()
    async with app.run_test(size=(100, 16)) as pilot:
        view = app.conversation
        view.show_messages(make_messages(4), has_older=False)
        await pilot.pause()
        await chat_turns(view, pilot, turns=10, reply_lines=12)
        trimmed = view.mounted_message_count
        assert trimmed < len(view.messages)
        await pilot.resize_terminal(100, 200)
        await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        assert view.mounted_message_count > trimmed
        assert view.max_scroll_y > 0 or view.mounted_message_count == len(view.messages)


async def chat_turns(view: ConversationView, pilot: Pilot[None], *, turns: int, reply_lines: int) -> None:
    """Turns of a chat as the screen drives them: a question, then a reply of `reply_lines` paragraphs."""
    for turn in range(turns):
        view.append_message(DisplayMessage(id=None, role="user", content=f"question {turn}"))
        live = view.start_reply(model=None)
        live.append_content("".join(f"reply {turn} line {line}\n\n" for line in range(reply_lines)))
        live.finish(status="complete")
        await pilot.pause()


def test_a_long_tool_output_folds_to_its_first_lines() -> None:
    long = "\n".join(f"row {n} " + "x" * 90 for n in range(1000))  # 100,000 characters or so
    head = fold_head(long)
    assert head is not None and head.count("\n") == FOLD_LINES - 1 and long.startswith(head)
    assert fold_head("b" * 100_000) == "b" * FOLD_CHARS  # one huge line is cut too
    assert fold_head("short\nresult") is None


async def test_a_long_tool_result_shows_folded_and_unfolds_on_a_click_or_f3() -> None:
    long = "\n".join(f"row {n:04} " + "x" * 90 for n in range(1000))
    messages = [
        DisplayMessage(id=1, role="user", content="read the file"),
        DisplayMessage(id=2, role="tool", content=long, tool_call_id="c1"),
        DisplayMessage(id=3, role="tool", content="a short result", tool_call_id="c2"),
    ]
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        app.conversation.show_messages(messages, has_older=False)
        await pilot.pause()
        folded, short = list(app.conversation.query(MessageView))[1:]
        shown = message_text(folded).splitlines()
        more = f"{len(long) - len(fold_head(long) or ''):,} more characters, 994 more lines"
        assert shown[-1] == f"▸ Show all ({more}; click or F3)"
        assert "row 0000" in shown[1] and not any("row 0006" in line for line in shown)
        assert folded.size.height < 20 and folded.message.content == long  # only the view is folded
        assert "Show all" not in message_text(short) and "a short result" in message_text(short)

        await pilot.click(folded, offset=(4, len(shown) - 1))
        await pilot.pause()
        assert "row 0999" in message_text(folded)
        assert message_text(folded).splitlines()[-1] == "▾ Fold to the first lines (click or F3)"
        assert folded.has_focus
        await pilot.press("f3")
        await pilot.pause()
        assert message_text(folded).splitlines() == shown
