"""The MCP dialogs: the call confirmation with long arguments keeps its buttons (and so its keys) on a small screen,
the arguments scrolling in what room is left, and takes no key typed as it opens; the tools switch with many tools
keeps its keys line. A bare app with toki's stylesheet: no MCP server, no chat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.geometry import Region
from textual.widgets import Button, SelectionList, Static

from tests.ui.app_support import assert_dialog_centered, wait_until
from toki_tui.core.mcp.manager import ServerState
from toki_tui.core.mcp.naming import McpTool
from toki_tui.ui.screens.mcp_dialogs import TOOL_KEY, McpCallDialog, McpToolsScreen, servers_footer, states_content

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
        assert_dialog_centered(app, "#mcp-call-dialog")  # a modal of toki's, over the dimmed chat like the others


async def test_the_tools_switch_keeps_its_keys_line_on_an_80_by_24_screen() -> None:
    """Many tools: the list scrolls in the room left, so the line saying which keys switch them stays shown; a
    server with one tool says "1 tool"."""
    tools = tuple(
        McpTool(server="git", name=f"git_{index}", description="Does.", schema={}, exposed=f"git_{index}")
        for index in range(20)
    )
    one = McpTool(server="fetch", name="fetch", description="Fetches.", schema={}, exposed="fetch")
    states = [ServerState("git", "ready", "git", tools), ServerState("fetch", "ready", "fetch", (one,))]
    app = _DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(McpToolsScreen(states, frozenset({TOOL_KEY + "git_1"}), ["local_tool"]))
        await pilot.pause()
        dialog = app.screen.query_one("#mcp-tools").content_region
        [keys] = [line for line in app.screen.query(Static) if "Space switches" in str(line.render())]
        assert keys.region.height == 1, f"the keys line is not shown: {keys.region}"
        assert dialog.contains_region(keys.region), f"the keys line is outside the dialog: {keys.region}"
        assert Region(0, 0, 80, 24).contains_region(keys.region)
        assert_dialog_centered(app, "#mcp-tools")
        listed = app.screen.query_one(SelectionList)
        labels = [str(listed.get_option_at_index(index).prompt) for index in range(listed.option_count)]
        assert "fetch  (MCP server, 1 tool)" in labels and "git  (MCP server, 20 tools)" in labels
        # On and off differ by more than colour: an off switch is an empty box, not a red X.
        boxes = {label.split()[0]: listed.render_line(index).text[:3] for index, label in enumerate(labels)}
        assert boxes["git_0"] == "▐X▌" and boxes["git_1"] == "▐ ▌", boxes


async def test_keys_typed_as_the_dialog_opens_do_not_answer_it() -> None:
    """The dialog opens by itself while the user may be typing: the `y` of "you", or an Enter meant for the prompt,
    does nothing until the dialog has been shown a moment with no key pressed; then `y` runs the call."""
    tool = McpTool(server="files", name="delete", description="Deletes.", schema={}, exposed="delete")
    answers: list[str | None] = []
    app = _DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = McpCallDialog(tool, "call_0", "{}")
        await app.push_screen(dialog, answers.append)
        assert all(button.disabled for button in dialog.query(Button))
        await pilot.press("y", "o", "u", "enter", "n", "a")  # each key starts the wait again
        await pilot.pause()
        assert app.screen is dialog and answers == []
        await wait_until(pilot, lambda: dialog.armed, timeout=5)
        assert app.focused is not None and app.focused.id == "mcp-call-run"
        await pilot.press("y")
        await wait_until(pilot, lambda: answers == ["run"])


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
    question, rows = command_confirmation("call_1", ["/bin/echo", "--json", '{"a": "\x1b]0;; rm -rf ~\x07"}'])
    assert "␛]0;; rm -rf ~␇" in question.plain and "\x1b" not in question.plain
    assert [(label, value.plain) for label, value in rows][2] == ("  2: ", '{"a": "␛]0;; rm -rf ~␇"}')


def test_mcp_with_no_server_says_how_to_configure_one_not_how_to_switch_tools_off() -> None:
    config_file = Path("/home/me/.config/toki/config.toml")
    shown = states_content([], config_file).plain
    assert "[mcp_servers.NAME] table in /home/me/.config/toki/config.toml" in shown
    assert '"MCP tool servers"' in shown and "url" in shown
    assert servers_footer([]).plain == "Esc closes"
    ready = ServerState("git", "ready", "git", ())
    assert "/tools switches tools off" in servers_footer([ready]).plain
