"""The live reply: coalesced rendering, trailing flush, code fences highlighted once closed, untrusted text."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tests.ui.app_support import wait_until
from tests.ui.conversation_support import ConversationApp, message_text, widget_strips, widget_text
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.line_render import MarkdownLines
from toki_tui.ui.widgets.live_reply import LiveReply
from toki_tui.ui.widgets.message_view import MessageView


def words(count: int) -> list[str]:
    return [f"w{index} " for index in range(count)]


async def test_streamed_text_is_all_on_screen_after_finish() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model="toki-1")
        await pilot.pause()
        pieces = ["Here is **bold** and a list:\n\n", "- one\n", "- two\n\n", *words(300)]
        for piece in pieces:
            live.append_content(piece)
        message = live.finish(status="complete", message_id=42)
        await pilot.pause()
        text = " ".join(widget_text(live).split())
        assert "Here is bold and a list:" in text
        assert "• one" in text and "• two" in text
        assert "w0 w1 w2" in text and "w298 w299" in text
        assert message == DisplayMessage(
            id=42, role="assistant", content="".join(pieces), model="toki-1", status="complete"
        )
        assert app.conversation.messages[-1].id == 42


async def test_finish_flushes_tokens_that_arrived_after_the_last_timer_tick() -> None:
    app = ConversationApp()
    async with app.run_test() as pilot:
        live = app.conversation.start_reply(model=None)
        live.append_content("first part ")
        await wait_until(pilot, lambda: "first part" in widget_text(live))  # a timer flush showed it
        live.append_content("and the LAST-TOKEN")
        live.finish(status="stopped")  # no pause in between: only the trailing flush can show it
        await pilot.pause()
        assert "first part and the LAST-TOKEN" in widget_text(live)
        assert "■ stopped" in widget_text(live)


async def test_appends_are_coalesced_not_rendered_per_token(monkeypatch: pytest.MonkeyPatch) -> None:
    feeds: list[str] = []
    original_feed = MarkdownLines.feed

    def counting_feed(self: MarkdownLines, text: str) -> None:
        if text:
            feeds.append(text)
        original_feed(self, text)

    monkeypatch.setattr(MarkdownLines, "feed", counting_feed)
    app = ConversationApp()
    async with app.run_test() as pilot:
        live = app.conversation.start_reply(model=None)
        for piece in words(2000):
            live.append_content(piece)
        await wait_until(pilot, lambda: feeds)
        await pilot.pause()
        assert feeds == ["".join(words(2000))]  # 2,000 appends, one render of them all


def code_line(strips: list[Strip], needle: str) -> list[Segment]:
    [line] = [strip for strip in strips if needle in strip.text]
    return [segment for segment in line if segment.text.strip() and segment.text != "▌"]  # not the border


def foreground_colors(segments: list[Segment]) -> set[object]:
    return {(segment.style or Style()).color for segment in segments}


async def test_open_fence_is_plain_and_highlighted_once_closed() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model=None)
        live.append_content("Code:\n\n```python\ndef answer(x):\n    return 42  # comment\n")
        live.flush()
        await pilot.pause()
        open_segments = code_line(widget_strips(live), "def answer")
        assert len(foreground_colors(open_segments)) == 1  # plain: one colour for the whole line
        live.append_content("```\n\nAfter.")
        live.flush()
        await pilot.pause()
        closed_segments = code_line(widget_strips(live), "def answer")
        assert len(foreground_colors(closed_segments)) > 1  # highlighted: keyword, name, ... differ
        assert "```" not in widget_text(live)


async def test_a_long_fence_is_highlighted_in_the_background_without_moving_the_text() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model=None)
        live.append_content("```python\n")
        for line in range(400):
            live.append_content(f"def line_{line}(): return {line}\n")
            if line % 50 == 0:
                live.flush()
        live.flush()
        await pilot.pause()
        text = widget_text(live)
        assert "def line_0(): return 0" in text and "def line_399(): return 399" in text
        live.append_content("```\n")
        live.finish(status="complete")
        # Shown at once, still plain: a 400-line fence is highlighted in slices, not in one long block.
        assert len(foreground_colors(code_line(widget_strips(live), "def line_399"))) == 1
        lines_plain = message_text(live).splitlines()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(foreground_colors(code_line(widget_strips(live), "def line_399"))) > 1
        assert message_text(live).splitlines() == lines_plain  # the header line, the code lines: same places
        assert live.outer_size.height == len(lines_plain)  # no room left below the text once finished


async def test_markup_and_escape_sequences_from_the_model_are_harmless() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model="[red]evil[/]")
        live.append_content("Look: [bold red]x[/] \x1b]52;c;SGVsbG8=")
        live.flush()  # the sequence is split across flushes: it must still vanish whole
        live.append_content("\x07 and \x1b[2J[link=http://evil]y[/link] ")
        live.append_reasoning("think \x1b]8;;http://evil\x1b\\")
        live.finish(status="error", error="[blink]server[/] said \x1b[31mno")
        await pilot.pause()
        text = widget_text(live)
        assert "Look: [bold red]x[/]  and [link=http://evil]y[/link]" in text
        assert "[red]evil[/]" in text
        assert "[blink]server[/] said no" in text
        for strip in widget_strips(live):
            for segment in strip:
                assert "\x1b" not in segment.text and "\x07" not in segment.text
                assert segment.style is None or segment.style.link is None
        assert "SGVsbG8" not in text


async def test_reasoning_shows_while_thinking_and_folds_when_the_answer_starts() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model=None)
        live.append_reasoning("Let me consider the question carefully.")
        live.flush()
        await pilot.pause()
        assert "▾ Thinking" in widget_text(live)
        assert "consider the question" in widget_text(live)
        live.append_content("The answer.")
        live.flush()
        await pilot.pause()
        assert "▸ Thinking (6 words)" in widget_text(live)
        assert "consider the question" not in widget_text(live)
        # A click on the fold line (line 1 of the content, after the header) opens it again.
        await pilot.click(live, offset=(4, 1))
        assert live.reasoning_expanded
        assert "consider the question" in widget_text(live)
        # So does the pane's action (F3 on the chat screen); a letter typed in the pane does not.
        app.conversation.focus()
        await pilot.press("t")
        assert live.reasoning_expanded
        app.conversation.action_toggle_reasoning()
        assert not live.reasoning_expanded


async def test_waiting_text_tool_calls_and_refusal_are_shown() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model=None)
        live.set_waiting("retrying in 3 s (HTTP 429)")
        live.flush()
        await pilot.pause()
        assert "⏳ retrying in 3 s (HTTP 429)" in widget_text(live)
        live.set_tool_calls(
            [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]
        )
        live.append_refusal("I can't help with that.")
        live.finish(status="complete")
        await pilot.pause()
        text = widget_text(live)
        assert "retrying" not in text
        assert "⚙ get_weather" in text and '"city": "Oslo"' in text
        assert "⊘ Refused: I can't help with that." in text
        assert isinstance(live, MessageView) and isinstance(live, LiveReply)


async def test_a_huge_unfinished_line_or_paragraph_is_shown_whole_while_streaming() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model=None)
        live.append_content("```json\n")
        blob = "".join(f"{index:05d}," for index in range(3000))  # 18,000 characters, no newline
        for start in range(0, len(blob), 700):
            live.append_content(blob[start : start + 700])
            live.flush()
        await pilot.pause()
        lines = widget_text(live).splitlines()
        code_start = next(index for index, line in enumerate(lines) if line.strip(" ▌") == "json") + 1
        shown = "".join(line.strip(" ▌") for line in lines[code_start:])
        assert shown == blob  # every character, in order, no gaps where frozen chunks meet

        live.append_content("\n```\n\n")
        paragraph = " ".join(f"word{index}" for index in range(3000))
        for start in range(0, len(paragraph), 500):
            live.append_content(paragraph[start : start + 500])
            live.flush()
        await pilot.pause()
        assert " ".join(widget_text(live).split()).endswith("word2998 word2999")
        assert all(f"word{index} " in widget_text(live) for index in (0, 1000, 2000))
        live.finish(status="complete")
        await pilot.pause()
        assert " ".join(widget_text(live).split()).endswith("word2998 word2999")


async def test_the_conversation_knows_the_partial_reply_while_it_streams() -> None:
    app = ConversationApp()
    async with app.run_test() as pilot:
        live = app.conversation.start_reply(model="toki-1")
        live.append_reasoning("hmm")
        live.append_content("partial ans")
        await pilot.pause()
        [message] = app.conversation.messages
        assert (message.content, message.reasoning, message.status) == ("partial ans", "hmm", "streaming")
        assert id(app.conversation.live_reply) == id(live)  # (an `is` here would narrow the type for mypy)
        live.finish(status="stopped")
        assert app.conversation.live_reply is None
        assert app.conversation.messages[-1].status == "stopped"


async def test_two_long_fences_closing_in_one_flush_keep_their_own_lines() -> None:
    app = ConversationApp()
    async with app.run_test(size=(100, 40)) as pilot:
        live = app.conversation.start_reply(model=None)
        await pilot.pause()  # laid out: from now on flushes render at its width
        live.append_content("```python\n" + "".join(f"a_{n} = {n}\n" for n in range(100)))
        live.flush()  # the open fence's plain lines are now rendered and cached
        live.append_content("```\n\n```python\n" + "".join(f"b_{n} = {n}\n" for n in range(100)) + "```\n")
        live.finish(status="complete")
        for moment in ("plain, at once", "highlighted, later"):
            text = message_text(live)
            for name in ("a_0 = 0", "a_99 = 99", "b_0 = 0", "b_99 = 99"):
                assert text.count(name) == 1, (moment, name)
            assert text.index("a_99 = 99") < text.index("b_0 = 0")
            await app.workers.wait_for_complete()
            await pilot.pause()


async def test_repainting_only_the_changed_lines_paints_what_a_full_repaint_would() -> None:
    """Each flush repaints only the lines that changed (and keeps the rest as painted, even as the reply grows):
    after every flush, what is painted must be exactly what a repaint of the whole widget paints."""
    reply = (
        "## Plan\n\nA paragraph that wraps over several lines " + "and keeps going " * 12 + "until it ends.\n\n"
        "- first item\n- second **bold** item\n\n"
        "```python\n" + "".join(f"value_{n} = compute({n})\n" for n in range(70)) + "```\n\n"
        "Then a long closing paragraph " + "with more words " * 30 + "END."
    )
    pieces = [reply[index : index + 23] for index in range(0, len(reply), 23)]
    app = ConversationApp()
    async with app.run_test(size=(80, 30)) as pilot:
        live = app.conversation.start_reply(model=None)
        await pilot.pause()
        checked = 0
        for piece in pieces:
            live.append_content(piece)
            live.flush()
            await pilot.pause()
            painted = [list(strip) for strip in widget_strips(live)]  # through Textual's cache of painted lines
            live.refresh()  # forget every painted line
            repainted = [list(strip) for strip in widget_strips(live)]
            assert painted == repainted, f"stale lines after {live.content[-40:]!r}"
            checked += 1
        live.finish(status="complete")
        await app.workers.wait_for_complete()  # the long fence is highlighted in the background: lines swapped
        await pilot.pause()
        painted = [list(strip) for strip in widget_strips(live)]
        live.refresh()
        assert painted == [list(strip) for strip in widget_strips(live)]
        assert "END." in widget_text(live) and checked == len(pieces)


async def test_each_flush_of_a_growing_reply_costs_one_layout_of_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual stores a widget's new virtual size through a reactive that queues another full layout right after
    the one that measured it; the message and the pane opt out, or every flush laid the screen out twice."""
    from textual.screen import Screen

    layouts = 0
    original = Screen._refresh_layout

    def counting(self: Screen[object], *args: object, **kwargs: object) -> None:
        nonlocal layouts
        layouts += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.conversation.show_messages([DisplayMessage(id=1, role="user", content="go")], has_older=False)
        live = app.conversation.start_reply(model=None)
        await pilot.pause()
        await pilot.pause()
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        flushes = 20
        for flush in range(flushes):
            live.append_content(f"paragraph {flush} " + "words " * 30 + "\n\n")  # grows by several lines
            live.flush()
            await pilot.pause()
            await pilot.pause()
        assert "paragraph 19" in widget_text(live)
        assert app.conversation.scroll_y == app.conversation.max_scroll_y > 0  # still following
        assert layouts <= flushes + 2, f"{layouts} layouts for {flushes} flushes"


async def test_an_open_fence_loads_its_highlighter_in_the_background_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first use of a language imports its lexer (tens of ms): a fence that opens starts that load in a
    worker thread, so the screen does not stall when it closes."""
    import threading

    from toki_tui.ui.widgets import live_reply

    prepared: list[tuple[str, bool]] = []
    monkeypatch.setattr(
        live_reply,
        "prepare_lexer",
        lambda language: prepared.append((language, threading.current_thread() is threading.main_thread())),
    )
    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        live = app.conversation.start_reply(model=None)
        live.append_content("Some code:\n\n```rust\nfn main() {\n")
        live.flush()
        live.append_content('    println!("hi");\n')
        live.flush()
        await app.workers.wait_for_complete()
        assert prepared == [("rust", False)]  # once, off the main thread, while the fence is still open
        live.append_content("}\n```\n\nAnd more:\n\n```rust\nlet x = 1;\n```\n")
        live.finish(status="complete")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert prepared == [("rust", False)]


async def test_a_reply_growing_a_line_per_flush_lays_out_only_when_its_room_is_used_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A layout (and, while following, a repaint of the whole pane) per flush was the cost of a slow stream: the
    live reply keeps blank room below its text, so most flushes only repaint the lines they filled."""
    from textual.screen import Screen

    from toki_tui.ui.widgets.live_reply import ROOM_MIN_LINES

    layouts = 0
    original = Screen._refresh_layout

    def counting(self: Screen[object], *args: object, **kwargs: object) -> None:
        nonlocal layouts
        layouts += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    app = ConversationApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.conversation.show_messages([DisplayMessage(id=1, role="user", content="go")], has_older=False)
        live = app.conversation.start_reply(model=None)
        live.append_content("first line\n\n")
        live.flush()
        await pilot.pause()
        await pilot.pause()
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        flushes = 40
        for flush in range(flushes):
            live.append_content(f"line {flush}\n\n")  # one more paragraph: about one line more per flush
            live.flush()
            await pilot.pause()
            await pilot.pause()
        assert "line 39" in widget_text(live)
        assert app.conversation.scroll_y == app.conversation.max_scroll_y > 0  # still following
        assert layouts <= flushes * 2 // ROOM_MIN_LINES + 2, f"{layouts} layouts for {flushes} flushes"
        room = live.outer_size.height
        live.finish(status="complete")
        await pilot.pause()
        assert live.outer_size.height < room  # finished: as tall as its lines, the room is gone
        assert message_text(live).rstrip().endswith("line 39")
