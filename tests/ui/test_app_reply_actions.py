"""Reply actions in the app: the details dialog, copying a reply or a code block, exporting the conversation,
JSON replies; against the fake server, with the clipboard tools faked by scripts on PATH."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text
from toki_tui.core.api.reply import SPEED_WINDOW
from toki_tui.ui.screens.confirm_dialog import ConfirmDialog
from toki_tui.ui.screens.reply_details import ReplyDetailsScreen
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.prompt_input import PromptInput

REPLY = "Two ways:\n\n```python\nprint('one')\n```\n\nor\n\n~~~sh\necho two\n~~~\n"


async def submit(pilot: Any, harness: AppHarness, text: str) -> None:
    prompt = harness.screen.query_one(PromptInput)
    prompt.focus()
    prompt.text = text
    await pilot.press("enter")


async def send_and_wait(pilot: Any, harness: AppHarness, fake_server: FakeServer, text: str) -> None:
    count = len(fake_server.chat_requests())
    await submit(pilot, harness, text)
    await wait_until(pilot, lambda: len(fake_server.chat_requests()) > count and not harness.screen.streaming)
    await harness.app.workers.wait_for_complete()


def notes(harness: AppHarness) -> list[str]:
    return [str(n.message) for n in harness.app._notifications]


def no_clipboard_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("toki_tui.ui.clipboard._is_wsl", lambda: False)
    monkeypatch.setattr("toki_tui.ui.clipboard.sys.platform", "linux")


def fake_xclip(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """An `xclip` on PATH under an X11 session, writing what it is given to a file."""
    no_clipboard_tool(monkeypatch)
    out = folder / "clipboard.txt"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "xclip"
    script.write_text(f"#!{sys.executable}\nimport sys\nopen({str(out)!r}, 'wb').write(sys.stdin.buffer.read())\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("DISPLAY", ":0")
    return out


async def test_f4_and_a_click_on_the_header_show_how_the_reply_was_made(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    # Paced: a speed is shown only for tokens that took SPEED_WINDOW or more to arrive.
    fake_server.script(stream_text(["Hello ", "there", "."], chunk_delay=SPEED_WINDOW / 1.5))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        await submit(pilot, harness, "/temperature 0.3")
        await send_and_wait(pilot, harness, fake_server, "hi")
        assert "tok/s" in screen_plain_text(harness.app)  # the header: model · tokens · speed
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ReplyDetailsScreen))
        shown = screen_plain_text(harness.app)
        for expected in ("Model", harness.screen.session.model, "temperature", "0.3", "Completion tokens"):
            assert expected in shown
        assert "Finish reason" in shown and "stop" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(harness.app.screen, ReplyDetailsScreen))
        reply_view = [v for v in harness.screen.query(MessageView) if v.message.role == "assistant"][-1]
        await pilot.click(reply_view, offset=(4, 0))  # the header line
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ReplyDetailsScreen))


async def test_copy_code_blocks_through_the_platform_tool(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clipboard = fake_xclip(monkeypatch, tmp_path / "bin")
    fake_server.script(stream_text(REPLY))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await send_and_wait(pilot, harness, fake_server, "how?")
        await submit(pilot, harness, "/copy code 1")
        await wait_until(pilot, lambda: any("Copied code block 1 of 2" in n for n in notes(harness)))
        assert clipboard.read_text() == "print('one')"
        assert harness.app.clipboard == "print('one')"  # and by OSC 52
        assert any("with xclip" in n for n in notes(harness))
        await pilot.press("f8")  # the last code block
        await wait_until(pilot, lambda: clipboard.read_text() == "echo two")
        await pilot.press("f5")  # the whole reply, as Markdown
        await wait_until(pilot, lambda: clipboard.read_text() == REPLY)
        await submit(pilot, harness, "/copy code 3")
        await wait_until(pilot, lambda: any("has 2 code blocks" in n for n in notes(harness)))


async def test_copy_without_a_tool_says_it_went_to_the_terminal_only(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_clipboard_tool(monkeypatch)
    fake_server.script(stream_text("Just text."))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await submit(pilot, harness, "/copy")
        await wait_until(pilot, lambda: any("Nothing to copy" in n for n in notes(harness)))
        await send_and_wait(pilot, harness, fake_server, "hi")
        await submit(pilot, harness, "/copy")
        await wait_until(pilot, lambda: any("OSC 52" in n for n in notes(harness)))
        [note] = [n for n in notes(harness) if "OSC 52" in n]
        assert "your terminal must allow clipboard writes" in note
        assert "Copied" not in note
        assert harness.app.clipboard == "Just text."


async def test_copy_acts_on_the_reply_clicked(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_clipboard_tool(monkeypatch)
    fake_server.script(stream_text("first reply"), stream_text("second reply"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await send_and_wait(pilot, harness, fake_server, "one")
        await send_and_wait(pilot, harness, fake_server, "two")
        first = next(v for v in harness.screen.query(MessageView) if v.message.content == "first reply")
        await pilot.click(first, offset=(4, 1))  # its text, not the header: the message takes the focus
        assert harness.screen.query_one(ConversationView).has_focus_within
        await pilot.press("f5")
        await wait_until(pilot, lambda: harness.app.clipboard == "first reply")
        harness.screen.query_one(PromptInput).focus()  # focus elsewhere: the keys act on the newest reply
        await pilot.press("f5")
        await wait_until(pilot, lambda: harness.app.clipboard == "second reply")


async def test_export_names_the_file_after_the_title_and_asks_before_replacing(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    fake_server.script(stream_text("An answer."))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await submit(pilot, harness, "/export md")
        await wait_until(pilot, lambda: any("Nothing to export" in n for n in notes(harness)))
        await send_and_wait(pilot, harness, fake_server, "plan: a trip / 2024?")
        await submit(pilot, harness, "/export md")
        target = work / "plan-a-trip-2024.md"
        await wait_until(pilot, lambda: any(f"Exported to {target}" in n for n in notes(harness)))
        assert "An answer." in target.read_text()

        target.write_text("mine")
        await submit(pilot, harness, "/export md")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ConfirmDialog))
        await pilot.press("escape")
        await wait_until(pilot, lambda: any("Export cancelled" in n for n in notes(harness)))
        assert target.read_text() == "mine"

        await submit(pilot, harness, "/export md")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ConfirmDialog))
        await pilot.click(harness.app.screen.query_one("#confirm-yes", Button))
        await wait_until(pilot, lambda: "An answer." in target.read_text())

        await submit(pilot, harness, "/export json sub/chat.json")
        await wait_until(pilot, lambda: any("cannot write in" in n for n in notes(harness)))
        (work / "sub").mkdir()
        await submit(pilot, harness, "/export json sub/chat.json")
        await wait_until(pilot, lambda: (work / "sub" / "chat.json").exists())
        assert "An answer." in json.dumps(json.loads((work / "sub" / "chat.json").read_text()))
        assert sorted(p.name for p in work.iterdir()) == ["plan-a-trip-2024.md", "sub"]  # no temporary left
        # A folder: the file named after the title goes into it (it was offered for replacing, then refused).
        await submit(pilot, harness, "/export md sub")
        await wait_until(pilot, lambda: (work / "sub" / "plan-a-trip-2024.md").exists())
        assert not isinstance(harness.app.screen, ConfirmDialog)


async def test_a_json_reply_is_shown_pretty_printed_and_copied_as_sent(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_clipboard_tool(monkeypatch)
    raw = '{"name":"toki","tags":["a","b"]}'
    fake_server.script(stream_text([raw[:10], raw[10:]]), stream_text(raw))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await send_and_wait(pilot, harness, fake_server, "no json mode")
        assert '"name": "toki"' not in screen_plain_text(harness.app)  # JSON mode off: as it came
        await submit(pilot, harness, "/json on")
        await send_and_wait(pilot, harness, fake_server, "as json")
        assert fake_server.chat_requests()[-1].json()["response_format"] == {"type": "json_object"}
        shown = screen_plain_text(harness.app)
        assert '"name": "toki",' in shown and '"tags": [' in shown
        await submit(pilot, harness, "/copy")
        await wait_until(pilot, lambda: harness.app.clipboard == raw)
        # The code block it is shown as copies as shown (it said "This reply has no code block").
        await submit(pilot, harness, "/copy code")
        await wait_until(pilot, lambda: harness.app.clipboard == json.dumps(json.loads(raw), indent=2))
        # Opened again from the history: still pretty-printed (the stored reply's parameters asked for JSON).
        harness.screen.history.open_conversation(harness.screen.session.conversation_id or "")
        await harness.app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_plain_text(harness.app).count('"name": "toki",') == 1


def test_reply_details_values_wrap_under_their_column() -> None:
    from toki_tui.ui.screens.reply_details import details_content

    error = "HTTP 429: the quota or balance is used up, so waiting will not help (server said: quota)"
    lines = details_content([("Model", "m/x"), ("Error", error)], width=40).plain.splitlines()
    assert lines[0] == "Model  m/x"
    assert lines[1].startswith("Error  HTTP 429:")
    assert len(lines) > 3 and all(line.startswith(" " * 7) and len(line) <= 40 for line in lines[2:]), lines
    assert " ".join(line.strip() for line in lines[1:]).removeprefix("Error  ") == error
