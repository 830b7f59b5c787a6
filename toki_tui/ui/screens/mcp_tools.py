"""MCP tools on the chat screen: which are offered with a request, `/mcp`, `/tools`, and the calls a reply makes.

When a reply ends with calls and every one names an MCP tool, each is confirmed (unless its tool was allowed for
the session) and run on its server, one after the other; each call gets one `tool` message, whatever happened
(its result, an error, a timeout, a crash, a decline, a tool switched off), stored like any other, and the model
goes on once the last one is in. Calls that name a local tool are left to `/tool_result` and `/tool_run`.

The tools switched off apply to the conversation on screen: they are forgotten when another one is opened.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toki_tui.core.mcp.calls import ToolCall, parse_arguments, pretty_arguments, tool_calls_of
from toki_tui.core.mcp.results import DECLINED_TEXT, SERVER_OFF_TEXT
from toki_tui.core.tools_file import tool_names
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.conversation_view import ConversationView

if TYPE_CHECKING:
    from toki_tui.core.mcp.manager import McpManager
    from toki_tui.core.mcp.naming import McpTool
    from toki_tui.ui.screens.chat import ChatScreen
    from toki_tui.ui.screens.worker_messages import ReplyEnded


@dataclass
class _Switches:
    conversation_id: str | None
    off: frozenset[str] = frozenset()


_switches: weakref.WeakKeyDictionary[ChatScreen, _Switches] = weakref.WeakKeyDictionary()


def _switches_of(screen: ChatScreen) -> _Switches:
    current = screen.session.conversation_id
    switches = _switches.get(screen)
    if switches is None or (switches.conversation_id not in (None, current)):
        switches = _switches[screen] = _Switches(current)
    switches.conversation_id = current  # a new conversation keeps its switches once it has an id
    return switches


def _is_off(off: frozenset[str], tool: McpTool) -> bool:
    from toki_tui.ui.screens.mcp_dialogs import SERVER_KEY, TOOL_KEY

    return SERVER_KEY + tool.server in off or TOOL_KEY + tool.exposed in off


def offer_tools(screen: ChatScreen) -> None:
    """Before a request: the MCP tools of the ready servers, less those switched off, go with it."""
    manager = screen.toki.mcp
    if manager is None:
        screen.session.extra_tools = ()
        return
    manager.with_reserved(tool_names(screen.session.params.tools))
    off = _switches_of(screen).off
    screen.session.extra_tools = tuple(tool.definition() for tool in manager.tools() if not _is_off(off, tool))


def show_servers(screen: ChatScreen) -> None:
    from toki_tui.ui.screens.mcp_dialogs import McpServersScreen

    manager = screen.toki.mcp
    screen.app.push_screen(McpServersScreen(manager.states() if manager is not None else []))


def show_tools(screen: ChatScreen) -> None:
    from toki_tui.ui.screens.mcp_dialogs import McpToolsScreen

    manager = screen.toki.mcp
    states = manager.states() if manager is not None else []
    switches = _switches_of(screen)

    def chosen(off: frozenset[str] | None) -> None:
        if off is not None and off != switches.off:
            switches.off = off
            screen.notify(
                f"{len(off)} MCP server(s) or tool(s) switched off for this conversation (from the next message)"
            )

    local = tool_names(screen.session.params.tools)
    screen.app.push_screen(McpToolsScreen(states, switches.off, local), chosen)


def after_reply(screen: ChatScreen, message: ReplyEnded) -> None:
    """A reply ended: when it called MCP tools (and only those), confirm and run the calls."""
    manager, reply = screen.toki.mcp, screen.session.reply
    if manager is None or message.status != "complete" or reply is None or not reply.tool_calls:
        return
    calls = tool_calls_of(reply.tool_calls)
    if not calls or any(manager.tool(call.name) is None or not call.call_id for call in calls):
        return
    screen.run_worker(_run_calls(screen, manager, calls), group="mcp", exclusive=True, exit_on_error=False)


async def _run_calls(screen: ChatScreen, manager: McpManager, calls: list[ToolCall]) -> None:
    answers = [(call.call_id, await _answer(screen, manager, call)) for call in calls]
    if screen.streaming:
        return  # a new question went out meanwhile: the calls stay unanswered (each request says so)
    conversation = screen.query_one(ConversationView)
    *stored_only, (last_id, last_text) = answers
    for call_id, text in stored_only:
        conversation.append_message(DisplayMessage(id=None, role="tool", content=text, tool_call_id=call_id))
        async for _ in screen.session.tool_result_batches(text, call_id):
            pass  # calls are still open: the session stores the result and sends nothing
    conversation.append_message(DisplayMessage(id=None, role="tool", content=last_text, tool_call_id=last_id))
    offer_tools(screen)
    live = conversation.start_reply(model=screen.session.model)
    screen._reply_started()
    # As a retry: once the reply ends, the conversation is shown again from the store (the stored tool messages).
    screen.stream_reply(screen.session.tool_result_batches(last_text, last_id), live, was_retry=True)


async def _answer(screen: ChatScreen, manager: McpManager, call: ToolCall) -> str:
    """The text of the call's `tool` message, after the user's answer."""
    from toki_tui.ui.screens.mcp_dialogs import ALWAYS, DECLINE, McpCallDialog

    tool = manager.tool(call.name)
    if tool is None or _is_off(_switches_of(screen).off, tool):
        return SERVER_OFF_TEXT
    allowed = screen.toki.mcp_allowed
    if (tool.server, tool.name) not in allowed:
        dialog = McpCallDialog(tool, call.call_id, pretty_arguments(call.arguments))
        answer = await screen.app.push_screen_wait(dialog)
        if answer == DECLINE:
            return DECLINED_TEXT
        if answer == ALWAYS:
            allowed.add((tool.server, tool.name))
    arguments = parse_arguments(call.arguments)
    if isinstance(arguments, str):
        return arguments
    return await asyncio.wrap_future(manager.call(call.name, arguments))
