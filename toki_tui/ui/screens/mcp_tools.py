"""McpTools, a part of the chat screen: which MCP tools go with a request, `/mcp`, `/tools`, and the calls a reply
makes.

When a reply ends with calls and every one names an MCP tool, each is confirmed (unless its tool was allowed for
the session) and run on its server, one after the other; each call gets one `tool` message, whatever happened
(its result, an error, a timeout, a crash, a decline, a tool switched off), stored like any other, and the model
goes on once the last one is in. Calls that name a local tool are left to `/tool_result` and `/tool_run`.

The tools switched off apply to the conversation on screen: they are forgotten when another one is opened.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from toki_tui.core.mcp.calls import ToolCall, parse_arguments, pretty_arguments, tool_calls_of
from toki_tui.core.mcp.results import DECLINED_TEXT, SERVER_OFF_TEXT
from toki_tui.core.tools_file import tool_names
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.mcp.manager import McpManager
    from toki_tui.core.mcp.naming import McpTool
    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.reply_runner import ReplyRunner
    from toki_tui.ui.screens.worker_messages import ReplyEnded


class McpTools:
    """Hooked into the reply runner it is given: `offer_tools` before each request, `reply_ended` after each reply."""

    def __init__(self, screen: Screen[Any], app: TokiApp, session: ChatSession, replies: ReplyRunner) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._replies = replies
        self._off: frozenset[str] = frozenset()
        """Servers ("server:NAME") and tools ("tool:NAME") switched off, for `_off_in`'s conversation."""
        self._off_in: str | None = None
        replies.before_request = self.offer_tools
        replies.after_reply = self.reply_ended

    def _switched_off(self) -> frozenset[str]:
        current = self._session.conversation_id
        if self._off_in not in (None, current):
            self._off = frozenset()  # another conversation is on screen
        self._off_in = current  # a new conversation keeps its switches once it has an id
        return self._off

    def _is_off(self, tool: McpTool) -> bool:
        from toki_tui.ui.screens.mcp_dialogs import SERVER_KEY, TOOL_KEY

        off = self._switched_off()
        return SERVER_KEY + tool.server in off or TOOL_KEY + tool.exposed in off

    def offer_tools(self) -> None:
        """Before a request: the MCP tools of the ready servers, less those switched off, go with it."""
        manager = self._app.mcp
        if manager is None:
            self._session.extra_tools = ()
            return
        manager.with_reserved(tool_names(self._session.params.tools))
        self._session.extra_tools = tuple(tool.definition() for tool in manager.tools() if not self._is_off(tool))

    def show_servers(self) -> None:
        from toki_tui.ui.screens.mcp_dialogs import McpServersScreen

        manager = self._app.mcp
        self._app.push_screen(McpServersScreen(manager.states() if manager is not None else []))

    def show_tools(self) -> None:
        from toki_tui.ui.screens.mcp_dialogs import McpToolsScreen

        manager = self._app.mcp
        states = manager.states() if manager is not None else []
        off = self._switched_off()

        def chosen(new_off: frozenset[str] | None) -> None:
            if new_off is not None and new_off != off:
                self._off = new_off
                count = f"{len(new_off)} MCP server(s) or tool(s)" if new_off else "No MCP tool"
                self._app.notify(f"{count} switched off for this conversation (from the next message)")

        local = tool_names(self._session.params.tools)
        self._app.push_screen(McpToolsScreen(states, off, local), chosen)

    def reply_ended(self, message: ReplyEnded) -> None:
        """A reply ended: when it called MCP tools (and only those), confirm and run the calls."""
        manager, reply = self._app.mcp, self._session.reply
        if manager is None or message.status != "complete" or reply is None or not reply.tool_calls:
            return
        calls = tool_calls_of(reply.tool_calls)
        if not calls or any(manager.tool(call.name) is None or not call.call_id for call in calls):
            return
        start_worker(self._screen, self._run_calls, manager, calls, group="mcp", exclusive=True)

    async def _run_calls(self, manager: McpManager, calls: list[ToolCall]) -> None:
        answers = [(call.call_id, await self._answer(manager, call)) for call in calls]
        if self._replies.streaming:
            return  # a new question went out meanwhile: the calls stay unanswered (each request says so)
        conversation = self._screen.query_one(ConversationView)
        *stored_only, (last_id, last_text) = answers
        for call_id, text in stored_only:
            conversation.append_message(DisplayMessage(id=None, role="tool", content=text, tool_call_id=call_id))
            async for _ in self._session.tool_result_batches(text, call_id):
                pass  # calls are still open: the session stores the result and sends nothing
        conversation.append_message(DisplayMessage(id=None, role="tool", content=last_text, tool_call_id=last_id))
        # As a retry: once the reply ends, the conversation is shown again from the store (the stored tool messages).
        self._replies.start(self._session.tool_result_batches(last_text, last_id), was_retry=True)

    async def _answer(self, manager: McpManager, call: ToolCall) -> str:
        """The text of the call's `tool` message, after the user's answer."""
        from toki_tui.ui.screens.mcp_dialogs import ALWAYS, DECLINE, McpCallDialog

        tool = manager.tool(call.name)
        if tool is None or self._is_off(tool):
            return SERVER_OFF_TEXT
        allowed = self._app.mcp_allowed
        if (tool.server, tool.name) not in allowed:
            dialog = McpCallDialog(tool, call.call_id, pretty_arguments(call.arguments))
            answer = await self._app.push_screen_wait(dialog)
            if answer == DECLINE:
                return DECLINED_TEXT
            if answer == ALWAYS:
                allowed.add((tool.server, tool.name))
        arguments = parse_arguments(call.arguments)
        if isinstance(arguments, str):
            return arguments
        return await asyncio.wrap_future(manager.call(call.name, arguments))
