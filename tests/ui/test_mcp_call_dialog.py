"""The MCP call confirmation in a small terminal: with long arguments its buttons (and so its keys) stay on screen,
the arguments scrolling in what room is left. A bare app with toki's stylesheet: no MCP server, no chat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.geometry import Region
from textual.widgets import Button

from toki_tui.core.mcp.naming import McpTool
from toki_tui.ui.screens.mcp_dialogs import McpCallDialog

STYLESHEET = Path(__file__).resolve().parents[2] / "toki_tui" / "ui" / "styles" / "app.tcss"


class _DialogApp(App[None]):
    CSS_PATH: ClassVar[str] = str(STYLESHEET)


async def test_the_buttons_stay_on_an_80_by_24_screen_with_long_arguments() -> None:
    tool = McpTool(server="files", name="write_file", description="Writes.", schema={}, exposed="write_file")
    arguments = json.dumps({"path": "/tmp/x", "lines": list(range(40))}, indent=2)
    app = _DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(McpCallDialog(tool, "call_0", arguments))
        await pilot.pause()
        screen = Region(0, 0, 80, 24)
        dialog = app.screen.query_one("#mcp-call-dialog").content_region
        buttons = list(app.screen.query(Button))
        assert len(buttons) == 3
        for button in buttons:
            assert button.region.area > 0, f"{button.id} is not shown"
            assert screen.contains_region(button.region), f"{button.id} is off screen: {button.region}"
            assert dialog.contains_region(button.region), f"{button.id} is outside the dialog: {button.region}"
            assert button.region.width >= len(str(button.label)), f"{button.id} is cut: {button.region}"


async def test_what_a_confirmation_shows_is_all_that_runs() -> None:
    # Escape sequences are removed from model text with their payload; in a confirmation that would hide part of
    # what is confirmed, so every control is shown instead (and still none reaches the terminal).
    from tests.hostile import assert_inert
    from tests.ui.terminal_frame import screen_plain_text, terminal_output
    from toki_tui.ui.screens.tool_commands import command_confirmation

    tool = McpTool(server="files", name="write_file", description="Writes.", schema={}, exposed="write_file")
    arguments = '{"path": "/tmp/x\x9d0;HIDDEN-C1\x9c"} \x1b]0;HIDDEN-ESC\x07 \u202eabc'
    app = _DialogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(McpCallDialog(tool, "call_\x1b]0;HIDDEN-ID\x07", arguments))
        await pilot.pause()
        shown = screen_plain_text(app)
        assert "HIDDEN-C1" in shown and "␛]0;HIDDEN-ESC␇" in shown and "HIDDEN-ID" in shown
        assert_inert(terminal_output(app))
    question = command_confirmation("call_1", ["/bin/echo", "--json", '{"a": "\x1b]0;; rm -rf ~\x07"}'])
    assert "␛]0;; rm -rf ~␇" in question.plain and "\x1b" not in question.plain
