"""MCP in the app, against the test MCP server (started once: one app run goes through the whole loop) and a
server that does not exist: the request's `tools`, the confirmation (allow for the session, decline, Enter runs),
the `tool` messages sent and stored, a hang cut by the call timeout, `/mcp` and `/tools` (switching a server off),
a crash in the middle of a call, and the hostile tool name, description and arguments shown inert everywhere;
and (with a stub manager) a message sent while a server is still starting or while a tool runs."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path
from typing import Any, cast

import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList

from tests.core.test_mcp_manager import wait_gone
from tests.fakes.mcp_config import fake_server_config
from tests.fakes.server import FakeServer, stream_text
from tests.fakes.streams import stream_tool_calls
from tests.hostile import HOSTILE, LITERAL_MARKERS, storable
from tests.ui.app_support import AppHarness, assert_dialog_centered, enter_text, make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text
from tests.ui.test_hostile_surfaces import assert_screen_inert
from toki_tui.core.config.config_file import Config
from toki_tui.core.mcp.config import McpServerConfig
from toki_tui.core.mcp.manager import McpManager, ServerState
from toki_tui.core.mcp.naming import McpTool
from toki_tui.core.mcp.results import DECLINED_TEXT
from toki_tui.core.store.export import export_document
from toki_tui.ui.screens.mcp_dialogs import McpCallDialog, McpServersScreen, McpToolsScreen
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine

HOSTILE_EXPOSED = "evil_____52_c_cHduZWQ__name"


async def _send(pilot: Pilot[Any], harness: AppHarness, text: str) -> None:
    harness.screen.query_one(PromptInput).focus()
    await enter_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


@pytest.fixture(autouse=True)
def _quick_arming(monkeypatch: pytest.MonkeyPatch) -> None:
    """The call dialog takes keys only after a moment on screen (tests/ui/test_mcp_call_dialog.py): shorter here."""
    monkeypatch.setattr(McpCallDialog, "ARMING_SECONDS", 0.05)


async def _dialog(pilot: Pilot[Any], harness: AppHarness) -> str:
    """The call dialog, once it takes keys: its text."""
    await wait_until(pilot, lambda: isinstance(harness.app.screen, McpCallDialog), timeout=10)
    dialog = harness.app.screen
    await wait_until(pilot, lambda: isinstance(dialog, McpCallDialog) and dialog.armed)
    await pilot.pause()
    return screen_plain_text(harness.app)


async def _requests(pilot: Pilot[Any], harness: AppHarness, count: int) -> dict[str, Any]:
    server = harness.server
    await wait_until(pilot, lambda: len(server.chat_requests()) == count and not harness.screen.streaming, 15)
    return server.chat_requests()[-1].json()  # type: ignore[no-any-return]


async def _open_tools(pilot: Pilot[Any], harness: AppHarness) -> SelectionList[str]:
    """Open /tools (the hostile tool listed inert): its list."""
    await _send(pilot, harness, "/tools")
    await wait_until(pilot, lambda: isinstance(harness.app.screen, McpToolsScreen))
    await pilot.pause()
    assert HOSTILE_EXPOSED in screen_plain_text(harness.app)
    assert_screen_inert(harness)
    listed: SelectionList[str] = harness.app.screen.query_one(SelectionList)
    off = listed.get_component_rich_style("selection-list--button")
    on = listed.get_component_rich_style("selection-list--button-selected")
    assert off.bgcolor != on.bgcolor and off.color != on.color  # a tool switched off reads as off at a glance
    return listed


def _lines(listed: SelectionList[str]) -> dict[str, tuple[bool, bool]]:
    """Each line of /tools: (shown on, inactive)."""
    options = [listed.get_option_at_index(index) for index in range(listed.option_count)]
    return {option.value: (option.value in listed.selected, option.disabled) for option in options}


async def _switch(pilot: Pilot[Any], harness: AppHarness, listed: SelectionList[str], *values: str) -> None:
    """Switch these lines of the open /tools ("server:NAME", "tool:NAME") one after the other, and keep."""
    for value in values:
        listed.toggle(value)
        await pilot.pause()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(harness.app.screen, McpToolsScreen))


def _tool_messages(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["tool_call_id"], m["content"]) for m in request["messages"] if m["role"] == "tool"]


async def test_the_whole_mcp_loop(tmp_path: Path, fake_server: FakeServer) -> None:
    child_file = tmp_path / "child.pid"
    servers = {
        "fake": fake_server_config("fake", "--child", str(child_file), timeout=1.0),
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
        stream_tool_calls([{"id": "c6", "name": "echo", "arguments": "{}"}]),
    )
    try:  # a failed assertion too stops the server, and the child it started
        async with harness.app.run_test(size=(140, 40)) as pilot:
            await harness.ready(pilot)
            manager = harness.app.mcp
            assert manager is not None
            await wait_until(pilot, lambda: manager.wait_settled(0), timeout=30)
            await wait_until(pilot, lambda: any(n.title == "MCP" for n in harness.app._notifications))
            failures = [n.message for n in harness.app._notifications if n.title == "MCP"]
            assert failures == [
                "MCP server gone failed: could not be started: /nonexistent/mcp-server: No such file or directory. Its "
                "tools are not offered until toki starts again: check [mcp_servers.gone] in the config, or set "
                "enabled = false there."
            ]

            await _send(pilot, harness, "/mcp")
            await wait_until(pilot, lambda: isinstance(harness.app.screen, McpServersScreen))
            await pilot.pause()
            shown = screen_plain_text(harness.app)
            assert "fake  ready, 8 tools" in shown and "gone  failed: could not be started" in shown
            assert_dialog_centered(harness.app, "#mcp-servers")
            assert "echo  Echo the text back." in shown and HOSTILE_EXPOSED in shown
            assert_screen_inert(harness)
            await pilot.press("escape")

            # Round 1: the tools go with the request; echo is allowed for the session, the hostile call declined.
            await _send(pilot, harness, "use the tools")
            shown = await _dialog(pilot, harness)
            first = fake_server.chat_requests()[0].json()
            offered = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
            assert set(offered) == {"echo", "picture", "fail", "slow", "crash", "big", "grow", HOSTILE_EXPOSED}
            assert offered["echo"]["parameters"]["properties"]["text"]["type"] == "string"
            assert "server: fake" in shown and "tool:   echo" in shown and '"text": "hi"' in shown
            assert "Run this MCP tool call? (1 of 2)" in shown
            await pilot.press("a")
            shown = await _dialog(pilot, harness)
            assert "Run this MCP tool call? (2 of 2)" in shown
            assert "server: fake" in shown and "offered as " + HOSTILE_EXPOSED in shown
            assert any(marker in shown for marker in LITERAL_MARKERS)
            assert_screen_inert(harness)
            await pilot.press("n")
            second = await _requests(pilot, harness, 2)
            assert _tool_messages(second) == [("c1", "echo: hi"), ("c2", DECLINED_TEXT)]

            # Round 2: echo runs without asking; Enter runs the slow call, which the 1 s timeout cuts.
            await _send(pilot, harness, "once more")
            shown = await _dialog(pilot, harness)
            assert "tool:   slow" in shown
            assert "of 2)" not in shown  # the counter counts questions: echo, allowed for the session, ran unasked
            await pilot.press("enter")
            status = harness.screen.query_one(StatusLine)
            await wait_until(
                pilot,
                lambda: (status.state, status.notice) == ("running a tool", "slow on MCP server fake · Esc stops"),
            )
            fourth = await _requests(pilot, harness, 4)
            assert _tool_messages(fourth)[-2:] == [
                ("c3", "echo: again"),
                ("c4", "The tool did not answer within 1 s; the call was given up."),
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

            # /tools: switching the server off (and the tool big) sends no MCP tool; its tools show off and inactive.
            listed = await _open_tools(pilot, harness)
            await _switch(pilot, harness, listed, "tool:big", "server:fake")
            await _send(pilot, harness, "no tools now")
            assert "tools" not in (await _requests(pilot, harness, 5))
            listed = await _open_tools(pilot, harness)
            lines = _lines(listed)
            assert lines.pop("server:fake") == (False, False)
            assert set(lines.values()) == {(False, True)}  # none is sent: none reads as on
            # The server's tool list changes while /tools is open: the new tool is listed, on (its server being off,
            # shown inactive), and the choices made so far stay.
            listed.toggle("server:fake")
            await pilot.pause()
            assert manager.call("grow", {}).result(10) == "grew a tool"
            await wait_until(pilot, lambda: "tool:grown" in _lines(listed))
            changed = "MCP server fake changed its tools (new: grown), from the next message."
            assert changed in [n.message for n in harness.app._notifications]
            lines = _lines(listed)
            assert lines.pop("server:fake") == (True, False) and lines.pop("tool:big") == (False, False)
            assert set(lines.values()) == {(True, False)}  # switched on again: each tool's own choice is back
            await _switch(pilot, harness, listed)
            assert [n.message for n in harness.app._notifications][-1] == (
                "Off for this conversation (from the next message): big. /tools switches them on."
            )

            # Round 3: the server dies in the middle of the call.
            await _send(pilot, harness, "crash it")
            await _dialog(pilot, harness)
            await pilot.press("y")
            last = await _requests(pilot, harness, 7)
            offered_now = {tool["function"]["name"] for tool in fake_server.chat_requests()[5].json()["tools"]}
            assert offered_now == set(offered) - {"big"} | {"grown"}
            assert _tool_messages(last)[-1] == (
                "c5",
                "The tool could not be run: the MCP server 'fake' exited (crashing now) during the call.",
            )
            crashed = "MCP server fake failed: exited (crashing now). Its tools"
            await wait_until(pilot, lambda: any(n.message.startswith(crashed) for n in harness.app._notifications))
            assert wait_gone(int(child_file.read_text()))

            # A call of its tool now: no server is starting, so /tool_run would never help; the notice says so.
            await _send(pilot, harness, "call it anyway")
            nothing = (
                "The reply calls echo, which no ready MCP server offers (/mcp shows why): /tool_result answers it, or "
                "send a message to go on without a result."
            )
            await wait_until(pilot, lambda: nothing in [n.message for n in harness.app._notifications])
    finally:
        harness.app.stop_mcp()


STUB_TOOL = McpTool("stub", "echo", "Echo.", {"type": "object"}, exposed="echo")
LATE_TOOL = McpTool("stub", "gone", "Offered late.", {"type": "object"}, exposed="gone")


class _StubManager:
    """What the TUI reads of an McpManager, without the SDK or a process: a server still starting, and one ready
    whose calls each wait on a future of `calls`, which the test settles."""

    def __init__(self) -> None:
        self.calls: list[concurrent.futures.Future[str]] = []
        self.late_offered = False

    def states(self) -> list[ServerState]:
        return [ServerState("late", "starting", "late-server"), ServerState("stub", "ready", "stub", (STUB_TOOL,))]

    def tools(self) -> list[McpTool]:
        return [STUB_TOOL]

    def tool(self, exposed: str) -> McpTool | None:
        tools = {"echo": STUB_TOOL, "gone": LATE_TOOL if self.late_offered else None}
        return tools.get(exposed)

    def call(self, exposed: str, arguments: Any) -> concurrent.futures.Future[str]:
        self.calls.append(concurrent.futures.Future())
        return self.calls[-1]

    def with_reserved(self, names: Any) -> None:
        pass

    def stop(self) -> None:
        pass


async def test_a_server_still_starting_and_a_message_sent_while_a_tool_runs(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    harness = make_app(tmp_path, fake_server)
    fake_server.script(
        stream_tool_calls([{"id": "c1", "name": "echo", "arguments": "{}"}]),
        stream_text("Answered meanwhile."),
        stream_tool_calls([{"id": "c2", "name": "gone", "arguments": "{}"}]),
        stream_text("Back."),
        stream_tool_calls([{"id": "c3", "name": "echo", "arguments": "{}"}]),
    )
    manager = _StubManager()
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        harness.app.mcp = cast(McpManager, manager)
        harness.app.mcp_allowed.add(("stub", "echo"))
        await _send(pilot, harness, "use it")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1)
        assert [tool["function"]["name"] for tool in fake_server.chat_requests()[0].json()["tools"]] == ["echo"]
        assert "MCP server late is still starting: this message goes without its tools (/mcp shows when they " \
            "are ready)." in [n.message for n in harness.app._notifications]  # fmt: skip

        # The call runs; a message sent meanwhile is answered; the call's result then comes too late to be sent.
        status = harness.screen.query_one(StatusLine)
        await wait_until(pilot, lambda: status.state == "running a tool")
        await _send(pilot, harness, "meanwhile")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.replies.streaming)
        assert _tool_messages(fake_server.chat_requests()[1].json()) == [("c1", "No result was given for this call.")]
        manager.calls[0].set_result("too late")
        late = "The MCP tool results were not sent: the conversation went on while the tools ran."
        await wait_until(pilot, lambda: late in [n.message for n in harness.app._notifications])
        await pilot.pause()
        assert status.state == "ready" and len(fake_server.chat_requests()) == 2
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        assert [m.role for m in harness.store.branch(conversation_id)] == ["user", "assistant", "user", "assistant"]

        # A call of a tool no server offers (its server failed since, say) is not left without a word.
        await _send(pilot, harness, "call a tool that is gone")
        await _requests(pilot, harness, 3)
        unknown = (
            "The reply calls gone, which no ready MCP server offers: /tool_run runs a call once its server is ready, "
            "/tool_result answers it, or send a message to go on without a result."
        )
        await wait_until(pilot, lambda: unknown in [n.message for n in harness.app._notifications])

        # Once a server offers it, /tool_run confirms and runs the open call, and the model goes on.
        manager.late_offered = True
        await _send(pilot, harness, "/tool_run")
        assert "tool:   gone" in await _dialog(pilot, harness)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(manager.calls) == 2)
        manager.calls[1].set_result("back again")
        assert _tool_messages(await _requests(pilot, harness, 4)) == [
            ("c1", "No result was given for this call."), ("c2", "back again")
        ]  # fmt: skip

        # Esc while a tool runs stops waiting for it: nothing is sent, and the status line is free again.
        await _send(pilot, harness, "use it again")
        await wait_until(pilot, lambda: status.state == "running a tool" and len(manager.calls) == 3)
        await pilot.press("escape")
        stopped = (
            "Stopped waiting for echo: its result will not be sent (the next message tells the model the call got "
            "no result)."
        )
        await wait_until(pilot, lambda: stopped in [n.message for n in harness.app._notifications])
        await wait_until(pilot, lambda: status.state == "ready" and not harness.screen.streaming)
        assert manager.calls[2].cancelled() and len(fake_server.chat_requests()) == 5
