"""The yes/no dialog with a long question (a tool command whose last argument is the model's JSON) keeps its
buttons on an 80x24 screen, the question scrolling in the room left, and names the keys that answer it. A bare app
with toki's stylesheet."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Button

from tests.ui.app_support import assert_dialog_centered
from toki_tui.ui.screens.confirm_dialog import ConfirmDialog

STYLESHEET = Path(__file__).resolve().parents[2] / "toki_tui" / "ui" / "styles" / "app.tcss"


class _DialogApp(App[None]):
    CSS_PATH: ClassVar[str] = str(STYLESHEET)


async def test_a_long_question_scrolls_and_the_buttons_stay_on_an_80_by_24_screen() -> None:
    question = Content("Run this command for tool call call_1?\n\n" + "/bin/echo '" + "word " * 400 + "'")
    answers: list[bool | None] = []
    app = _DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConfirmDialog(question, yes="Run"), answers.append)
        await pilot.pause()
        dialog = app.screen.query_one("#confirm-dialog").content_region
        buttons = list(app.screen.query(Button))
        assert [str(button.label) for button in buttons] == ["Run (y)", "Cancel (n)"]
        for button in buttons:
            assert Region(0, 0, 80, 24).contains_region(button.region), f"{button.id} is off screen: {button.region}"
            assert dialog.contains_region(button.region), f"{button.id} is outside the dialog: {button.region}"
        scroll = app.screen.query_one("#confirm-question-scroll")
        assert scroll.max_scroll_y > 0 and scroll.region.height >= 3
        assert_dialog_centered(app, "#confirm-dialog")
        await pilot.press("y")
        assert answers == [True]


async def test_a_long_argument_wraps_under_itself() -> None:
    from textual.widgets import Static

    from tests.ui.terminal_frame import screen_plain_text
    from toki_tui.ui.screens.tool_commands import command_confirmation

    argv = ["/bin/echo", "--json", '{"text": "' + "word " * 30 + 'end"}']
    question, rows = command_confirmation("call_1", argv)
    app = _DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConfirmDialog(question, yes="Run", rows=rows))
        await pilot.pause()
        values = list(app.screen.query(".confirm-row-value").results(Static))
        labels = list(app.screen.query(".confirm-row-label").results(Static))
        assert len(values) == 3 and values[2].region.height > 1  # the JSON wraps
        column = values[2].region.x
        assert {value.region.x for value in values} == {column} and labels[2].region.right <= column
        lines = screen_plain_text(app).splitlines()
        first = next(y for y, line in enumerate(lines) if '2: {"text":' in line)
        assert lines[first + 1][column:].startswith("word") and not lines[first + 1][:column].strip(" │")
