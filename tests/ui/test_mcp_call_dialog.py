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
