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
from toki_tui.core.text import displayable_line
from toki_tui.core.tools_file import tool_names
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.status_line import StatusLine
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
        self.calling = ""
        """The name of the MCP tool whose result is awaited ("" when none): Esc stops waiting for it."""
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
        starting = [state.name for state in manager.states() if state.status == "starting"]
        if starting:
            servers = ("MCP server " if len(starting) == 1 else "MCP servers ") + ", ".join(starting)
            verb = "is" if len(starting) == 1 else "are"
            self._app.notify(
                f"{servers} {verb} still starting: this message goes without {'its' if len(starting) == 1 else 'their'}"
                " tools (/mcp shows when they are ready)."
            )

    def show_servers(self) -> None:
        from toki_tui.ui.screens.mcp_dialogs import McpServersScreen

        manager = self._app.mcp
        states = manager.states() if manager is not None else []
        self._app.push_screen(McpServersScreen(states, self._app.paths.config_file))

    def show_tools(self) -> None:
        from toki_tui.ui.screens.mcp_dialogs import McpToolsScreen

        manager = self._app.mcp
        states = manager.states() if manager is not None else []
        off = self._switched_off()

        def chosen(new_off: frozenset[str] | None) -> None:
            if new_off is not None and new_off != off:
                self._off = new_off
                self._app.notify(_switches_notice(new_off))

        local = tool_names(self._session.params.tools)
        self._app.push_screen(McpToolsScreen(states, off, local), chosen)

    def reply_ended(self, message: ReplyEnded) -> None:
        """A reply ended: when it called MCP tools (and only those), confirm and run the calls."""
        manager, reply = self._app.mcp, self._session.reply
        if manager is None or message.status != "complete" or reply is None or not reply.tool_calls:
            return
        calls = tool_calls_of(reply.tool_calls)
        local = tool_names(self._session.params.tools)
        unknown = [
            displayable_line(call.name, 64)  # the model's text: one short line each
            for call in calls
            if manager.tool(call.name) is None and call.name not in local
        ]
        if unknown:  # e.g. the tool of a server that has failed since: nothing would answer the call
            # /tool_run only helps while a server is still starting: a failed one stays failed until toki restarts.
            starting = any(state.status == "starting" for state in manager.states())
            later = ": /tool_run runs a call once its server is ready," if starting else " (/mcp shows why):"
            self._app.notify(
                f"The reply calls {', '.join(unknown)}, which no ready MCP server offers{later} /tool_result answers "
                "it, or send a message to go on without a result.",
                severity="warning",
            )
        if not calls or any(manager.tool(call.name) is None or not call.call_id for call in calls):
            return
        start_worker(self._screen, self._run_calls, manager, calls, group="mcp", exclusive=True)

    def run_open_call(self, call: ToolCall) -> bool:
        """`/tool_run` on an open call of an MCP tool (one its server offers now: it was still starting, or the
        conversation was reopened): confirm and run it as a reply's call. False when no MCP tool has its name."""
        manager = self._app.mcp
        if manager is None or manager.tool(call.name) is None:
            return False
        start_worker(self._screen, self._run_calls, manager, [call], group="mcp", exclusive=True)
        return True

    def stop(self) -> None:
        """Esc while a tool runs: stop waiting for it (and for the reply's other calls). The calls stay unanswered:
        the next request tells the model they got no result. The SDK tells the server the call is cancelled (a test
        checks the server stops it)."""
        if self.calling:
            self._app.notify(
                f"Stopped waiting for {self.calling}: its result will not be sent (the next message tells the model "
                "the call got no result).",
                severity="warning",
            )
        for worker in self._screen.workers:
            if worker.group == "mcp":
                worker.cancel()

    async def _run_calls(self, manager: McpManager, calls: list[ToolCall]) -> None:
        reply, conversation_id = self._session.reply, self._session.conversation_id
        answers, asked = [], 0
        for index, call in enumerate(calls):
            # The counter counts questions: a call allowed for the session runs without one and is not counted.
            questions = asked + sum(self._asks(manager, later) for later in calls[index:])
            position = f"{asked + 1} of {questions}" if questions > 1 else ""
            asked += self._asks(manager, call)
            answers.append((call.call_id, await self._answer(manager, call, position)))
        if (
            self._replies.streaming
            or self._session.reply is not reply
            or self._session.conversation_id != conversation_id
        ):
            # A new question went out meanwhile (or another conversation is open): the calls stay unanswered, and
            # each later request says so; their results now would answer a reply that is no longer the last.
            self._app.notify(
                "The MCP tool results were not sent: the conversation went on while the tools ran.", severity="warning"
            )
            return
        conversation = self._screen.query_one(ConversationView)
        *stored_only, (last_id, last_text) = answers
        for call_id, text in stored_only:
            conversation.append_message(DisplayMessage(id=None, role="tool", content=text, tool_call_id=call_id))
            async for _ in self._session.tool_result_batches(text, call_id):
                pass  # calls are still open: the session stores the result and sends nothing
        conversation.append_message(DisplayMessage(id=None, role="tool", content=last_text, tool_call_id=last_id))
        # As a retry: once the reply ends, the conversation is shown again from the store (the stored tool messages).
        self._replies.start(self._session.tool_result_batches(last_text, last_id), was_retry=True)

    def _asks(self, manager: McpManager, call: ToolCall) -> bool:
        """Whether running `call` needs the user's answer now (its tool is offered and not allowed for the session)."""
        tool = manager.tool(call.name)
        return tool is not None and not self._is_off(tool) and (tool.server, tool.name) not in self._app.mcp_allowed

    async def _answer(self, manager: McpManager, call: ToolCall, position: str) -> str:
        """The text of the call's `tool` message, after the user's answer (`position`: which of the reply's
        questions this is, "2 of 3", or "" when it is the only one)."""
        from toki_tui.ui.screens.mcp_dialogs import ALWAYS, DECLINE, McpCallDialog

        tool = manager.tool(call.name)
        if tool is None or self._is_off(tool):
            return SERVER_OFF_TEXT
        allowed = self._app.mcp_allowed
        if (tool.server, tool.name) not in allowed:
            dialog = McpCallDialog(tool, call.call_id, pretty_arguments(call.arguments), position)
            answer = await self._app.push_screen_wait(dialog)
            if answer == DECLINE:
                return DECLINED_TEXT
            if answer == ALWAYS:
                allowed.add((tool.server, tool.name))
        arguments = parse_arguments(call.arguments)
        if isinstance(arguments, str):
            return arguments
        status = self._screen.query_one(StatusLine)
        status.state, status.notice = (
            "running a tool",
            f"{tool.name} on MCP server {tool.server} · {self._app.key_name('chat.stop', 'Esc')} stops",
        )
        self.calling = tool.name
        self._screen.refresh_bindings()  # the Esc hint
        try:
            return await asyncio.wrap_future(manager.call(call.name, arguments))
        finally:
            self.calling = ""
            self._screen.refresh_bindings()
            if status.state == "running a tool":  # not when a reply to a message sent meanwhile is on its way
                status.state, status.notice = "ready", ""


def _switches_notice(off: frozenset[str]) -> str:
    """What /tools changed: the servers and tools now off, named (or that every one is on)."""
    from toki_tui.ui.screens.mcp_dialogs import SERVER_KEY, TOOL_KEY

    if not off:
        return "Every MCP tool is on for this conversation again (from the next message)."
    servers = [f"MCP server {key.removeprefix(SERVER_KEY)}" for key in sorted(off) if key.startswith(SERVER_KEY)]
    tools = [key.removeprefix(TOOL_KEY) for key in sorted(off) if key.startswith(TOOL_KEY)]
    return f"Off for this conversation (from the next message): {', '.join(servers + tools)}. /tools switches them on."
