"""MCP in the app, against the test MCP server (started once: one app run goes through the whole loop) and a
server that does not exist: the request's `tools`, the confirmation (allow for the session, decline, Enter runs),
the `tool` messages sent and stored, a hang cut by the call timeout, `/mcp` and `/tools` (switching a server off),
a crash in the middle of a call, and the hostile tool name, description and arguments shown inert everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import SelectionList

from tests.core.test_mcp_manager import wait_gone
from tests.fakes.mcp_config import fake_server_config
from tests.fakes.server import FakeServer, stream_text
from tests.fakes.streams import stream_tool_calls
from tests.hostile import HOSTILE, LITERAL_MARKERS, storable
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text
from tests.ui.test_hostile_surfaces import assert_screen_inert
from toki_tui.core.config.config_file import Config
from toki_tui.core.mcp.config import McpServerConfig
from toki_tui.core.mcp.results import DECLINED_TEXT
from toki_tui.core.store.export import export_document
from toki_tui.ui.screens.mcp_dialogs import McpCallDialog, McpServersScreen, McpToolsScreen
from toki_tui.ui.widgets.prompt_input import PromptInput

HOSTILE_EXPOSED = "evil_____52_c_cHduZWQ__name"


async def _send(pilot: Pilot[Any], harness: AppHarness, text: str) -> None:
    harness.screen.query_one(PromptInput).focus()
    await enter_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


async def _dialog(pilot: Pilot[Any], harness: AppHarness) -> str:
    await wait_until(pilot, lambda: isinstance(harness.app.screen, McpCallDialog), timeout=10)
    await pilot.pause()
    return screen_plain_text(harness.app)


async def _requests(pilot: Pilot[Any], harness: AppHarness, count: int) -> dict[str, Any]:
    server = harness.server
    await wait_until(pilot, lambda: len(server.chat_requests()) == count and not harness.screen.streaming, 15)
    return server.chat_requests()[-1].json()  # type: ignore[no-any-return]


async def _toggle(pilot: Pilot[Any], harness: AppHarness, *values: str) -> None:
    """Open /tools (the hostile tool listed inert) and switch these lines ("server:NAME", "tool:NAME")."""
    await _send(pilot, harness, "/tools")
    await wait_until(pilot, lambda: isinstance(harness.app.screen, McpToolsScreen))
    await pilot.pause()
    assert HOSTILE_EXPOSED in screen_plain_text(harness.app)
    assert_screen_inert(harness)
    listed = harness.app.screen.query_one(SelectionList)
    for value in values:
        listed.toggle(value)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(harness.app.screen, McpToolsScreen))


def _tool_messages(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["tool_call_id"], m["content"]) for m in request["messages"] if m["role"] == "tool"]


async def test_the_whole_mcp_loop(tmp_path: Path, fake_server: FakeServer) -> None:
    child_file = tmp_path / "child.pid"
    servers = {
        "fake": fake_server_config("fake", "--child", str(child_file), timeout=0.5),
        "gone": McpServerConfig(name="gone", command="/nonexistent/mcp-server"),
    }
    harness = make_app(tmp_path, fake_server, config=Config(mcp_servers=servers))
    hostile_arguments = json.dumps({"text": storable(HOSTILE)})
    fake_server.script(
        stream_tool_calls(
            [
                {"id": "c1", "name": "echo", "arguments": '{"text": "hi"}'},
                {"id": "c2", "name": HOSTILE_EXPOSED, "arguments": hostile_arguments},
            ]
        ),
        stream_text("First round done."),
        stream_tool_calls(
            [
                {"id": "c3", "name": "echo", "arguments": '{"text": "again"}'},
                {"id": "c4", "name": "slow", "arguments": '{"seconds": 30}'},
            ]
        ),
        stream_text("Second round done."),
        stream_text("No tools this time."),
        stream_tool_calls([{"id": "c5", "name": "crash", "arguments": "{}"}]),
        stream_text("The server is gone."),
    )
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        manager = harness.app.mcp
        assert manager is not None
        await wait_until(pilot, lambda: manager.wait_settled(0), timeout=30)
        failures = [n.message for n in harness.app._notifications if n.title == "MCP"]
        assert failures == ["MCP server gone failed: could not be started: No such file or directory"]

        await _send(pilot, harness, "/mcp")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, McpServersScreen))
        await pilot.pause()
        shown = screen_plain_text(harness.app)
        assert "fake  ready, 7 tools" in shown and "gone  failed: could not be started" in shown
        assert "echo  Echo the text back." in shown and HOSTILE_EXPOSED in shown
        assert_screen_inert(harness)
        await pilot.press("escape")

        # Round 1: the tools go with the request; echo is allowed for the session, the hostile call declined.
        await _send(pilot, harness, "use the tools")
        shown = await _dialog(pilot, harness)
        first = fake_server.chat_requests()[0].json()
        offered = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
        assert set(offered) == {"echo", "picture", "fail", "slow", "crash", "big", HOSTILE_EXPOSED}
        assert offered["echo"]["parameters"]["properties"]["text"]["type"] == "string"
        assert "server: fake" in shown and "tool:   echo" in shown and '"text": "hi"' in shown
        await pilot.press("a")
        shown = await _dialog(pilot, harness)
        assert "server: fake" in shown and "offered as " + HOSTILE_EXPOSED in shown
        assert any(marker in shown for marker in LITERAL_MARKERS)
        assert_screen_inert(harness)
        await pilot.press("n")
        second = await _requests(pilot, harness, 2)
        assert _tool_messages(second) == [("c1", "echo: hi"), ("c2", DECLINED_TEXT)]

        # Round 2: echo runs without asking; Enter runs the slow call, which the 0.5 s timeout cuts.
        await _send(pilot, harness, "once more")
        shown = await _dialog(pilot, harness)
        assert "tool:   slow" in shown
        await pilot.press("enter")
        fourth = await _requests(pilot, harness, 4)
        assert _tool_messages(fourth)[-2:] == [
            ("c3", "echo: again"),
            ("c4", "The tool did not answer within 0.5 s; the call was given up."),
        ]
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        stored = [(m.role, m.content) for m in harness.store.branch(conversation_id)]
        assert [role for role, _ in stored] == ["user", "assistant", "tool", "tool", "assistant"] * 2
        assert stored[2] == ("tool", "echo: hi") and stored[3] == ("tool", DECLINED_TEXT)
        exported = export_document(harness.store, conversation_id)["messages"]
        assert [(m["role"], m.get("tool_call_id")) for m in exported][1:4] == [
            ("assistant", None), ("tool", "c1"), ("tool", "c2")
        ]  # fmt: skip
        assert [call["id"] for call in exported[1]["tool_calls"]] == ["c1", "c2"]

        # /tools: switching the server off sends no MCP tool; switching it on again, with one tool off, offers the
        # others again.
        await _toggle(pilot, harness, "server:fake")
        await _send(pilot, harness, "no tools now")
        assert "tools" not in (await _requests(pilot, harness, 5))
        await _toggle(pilot, harness, "server:fake", "tool:big")

        # Round 3: the server dies in the middle of the call.
        await _send(pilot, harness, "crash it")
        await _dialog(pilot, harness)
        await pilot.press("y")
        last = await _requests(pilot, harness, 7)
        offered_now = {tool["function"]["name"] for tool in fake_server.chat_requests()[5].json()["tools"]}
        assert offered_now == set(offered) - {"big"}
        assert _tool_messages(last)[-1] == (
            "c5",
            "The tool could not be run: the MCP server 'fake' exited (crashing now) during the call.",
        )
        assert "MCP server fake failed: exited (crashing now)" in [n.message for n in harness.app._notifications]
        assert wait_gone(int(child_file.read_text()))
    harness.app.stop_mcp()
