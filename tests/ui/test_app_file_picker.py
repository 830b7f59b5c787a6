"""Ctrl+L picks a file to attach from a tree of the current folder; file names there are outside text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.server import FakeServer, stream_text
from tests.hostile import OSC52_CLIPBOARD, assert_inert
from tests.ui.app_support import make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text, terminal_output
from toki_tui.ui.screens.file_picker import FilePickerScreen, SafeDirectoryTree
from toki_tui.ui.widgets.prompt_input import PromptInput

HOSTILE_NAME = "[@click=app.bell]x[red]"
"""Markup in a file name (a file name cannot hold "/", so no closing tag)."""


async def test_ctrl_l_picks_a_file_and_it_goes_with_the_next_message(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "a-notes.txt").write_text("remember the milk\n", encoding="utf-8")
    (folder / f"b-{HOSTILE_NAME}{OSC52_CLIPBOARD}.txt").write_text("hostile name\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    fake_server.script(stream_text("noted"))
    harness = make_app(tmp_path / "toki", fake_server)
    async with harness.app.run_test(size=(120, 36)) as pilot:
        await harness.ready(pilot)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, FilePickerScreen))
        tree = harness.app.screen.query_one(SafeDirectoryTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 2)
        await pilot.pause()
        assert_inert(terminal_output(harness.app))  # the hostile name is shown, inert
        assert HOSTILE_NAME in screen_plain_text(harness.app)
        await pilot.press("down", "enter")  # the first file, a-notes.txt
        await wait_until(pilot, lambda: not isinstance(harness.app.screen, FilePickerScreen))
        prompt = harness.screen.query_one(PromptInput)
        await wait_until(pilot, lambda: "a-notes.txt" in screen_plain_text(harness.app))  # its chip
        prompt.text = "keep this"
        prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        content = fake_server.chat_requests()[0].json()["messages"][-1]["content"]
        assert isinstance(content, list)
        assert any("remember the milk" in part.get("text", "") for part in content)
