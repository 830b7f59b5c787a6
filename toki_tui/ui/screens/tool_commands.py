"""/tools, /tool_choice and /tool_result on the chat screen. The checks are in toki_tui.core.tools_file and
toki_tui.core.tool_answers; the tools file is read in a worker thread, never on the screen's event loop."""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING

from textual.content import Content

from toki_tui.core.errors import APIError
from toki_tui.core.mcp.calls import ToolCall
from toki_tui.core.tool_answers import open_call_ids, pick_open_call, split_result
from toki_tui.core.tool_commands import run_tool_command, tool_command_line
from toki_tui.core.tools_file import ToolsError, read_tools_file, tool_choice_value, tool_names
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.safe_text import exact_content
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from toki_tui.core.api.events import StreamEvent
    from toki_tui.ui.screens.chat import ChatScreen


def load_tools(screen: ChatScreen, path: str | None) -> None:
    """Send the tools of `path` with the next requests (None: no tools, and no tool_choice)."""
    if path is None:
        screen.settings.apply("tool_choice", None, echo=False)
        screen.settings.apply("tools", None, echo=True)
        screen.settings.tools_file = None
        screen.notify("No tools are sent (from the next message).")
        return
    start_worker(screen, _load, screen, path, group="tools")


async def _load(screen: ChatScreen, path: str) -> None:
    try:
        tools = await asyncio.to_thread(read_tools_file, Path(path).expanduser())
    except ToolsError as error:
        _give_back(screen, f"/tools {path}")
        screen.notify(str(error), title="Tools not loaded", severity="error", timeout=10)
        return
    choice = screen.session.params.tool_choice
    if isinstance(choice, dict) and choice.get("function", {}).get("name") not in tool_names(tools):
        screen.settings.apply("tool_choice", None, echo=False)  # it named a tool the new file does not have
    screen.settings.apply("tools", tools, echo=True)
    screen.settings.tools_file = str(Path(path).expanduser().absolute())  # what "save as preset" stores
    screen.notify(f"Tools ({len(tools)}): {', '.join(tool_names(tools))} (from the next message)")


def set_tool_choice(screen: ChatScreen, choice: str) -> None:
    try:
        value = tool_choice_value(choice, screen.session.params.tools)
    except ToolsError as error:
        _give_back(screen, f"/tool_choice {choice}")
        screen.notify(str(error), title="Command not applied", severity="error")
        return
    screen.settings.apply("tool_choice", value, echo=True)
    screen.notify(f"tool_choice = {choice} (from the next message)")


def answer_tool_call(screen: ChatScreen, argument: str) -> None:
    """Store the result of the open call it names (or the only open one); the model goes on once none is open."""
    if screen.streaming:
        _give_back(screen, f"/tool_result {argument}")
        screen.notify("A reply is still arriving; Esc stops it.", severity="warning")
        return
    if screen.toki.needs_api_key:
        _give_back(screen, f"/tool_result {argument}")
        screen.api_key.ask()
        return
    conversation = screen.query_one(ConversationView)
    open_ids = open_call_ids(conversation.messages)
    call_id, text = split_result(argument, open_ids)
    try:
        call_id = pick_open_call(open_ids, call_id)
    except APIError as error:
        _give_back(screen, f"/tool_result {argument}")
        screen.notify(str(error), title="Command not applied", severity="error")
        return
    _answer(screen, call_id, text, open_ids)


def _answer(screen: ChatScreen, call_id: str, text: str, open_ids: list[str]) -> None:
    conversation = screen.query_one(ConversationView)
    conversation.append_message(DisplayMessage(id=None, role="tool", content=text, tool_call_id=call_id))
    events = screen.session.tool_result_batches(text, call_id)
    still_open = [other for other in open_ids if other != call_id]
    if still_open:
        start_worker(screen, _store_only, screen, events, group="reply")
        screen.notify(f"Result kept; the model goes on once these calls have results too: {', '.join(still_open)}")
        return
    # As a retry: once the reply ends, the conversation is shown again from the store (the stored tool message).
    screen.replies.start(events, was_retry=True)


async def _store_only(screen: ChatScreen, events: AsyncGenerator[list[StreamEvent], None]) -> None:
    if not await screen.replies.give_session_client_and_store():
        return
    try:
        async for _ in events:
            pass  # calls are still open: the session stores the result and sends nothing
    except APIError as error:
        screen.notify(str(error), title="Result not kept", severity="error")


def _give_back(screen: ChatScreen, text: str) -> None:
    """Put the command back in an empty prompt, so nothing typed is lost."""
    prompt = screen.query_one(PromptInput)
    if not prompt.text.strip():
        prompt.text = text
        prompt.move_cursor(prompt.document.end)


def run_tool(screen: ChatScreen, call_id: str | None) -> None:
    """Show the exact command line bound to the open call's tool; run it only on an explicit yes, and send its
    output as the call's result."""
    if screen.streaming:
        screen.notify("A reply is still arriving; Esc stops it.", severity="warning")
        return
    messages = screen.query_one(ConversationView).messages
    open_ids = open_call_ids(messages)
    try:
        call_id = pick_open_call(open_ids, call_id)
    except APIError as error:
        screen.notify(str(error), title="Command not applied", severity="error")
        return
    name, arguments = _call_parts(messages, call_id)
    command = screen.toki.config.tool_commands.get(name)
    if command is None and screen.replies.mcp.run_open_call(ToolCall(call_id, name, arguments)):
        return
    if command is None:
        screen.notify(
            f"No command is bound to the tool {name!r}: add it to [tool_commands] in the config, or answer with "
            "/tool_result",
            title="Command not applied",
            severity="error",
        )
        return
    argv = tool_command_line(command, arguments)
    start_worker(screen, _confirm_and_run, screen, call_id, argv, open_ids, group="tools")


async def _confirm_and_run(screen: ChatScreen, call_id: str, argv: list[str], open_ids: list[str]) -> None:
    from toki_tui.ui.screens.confirm_dialog import ConfirmDialog

    question, rows = command_confirmation(call_id, argv)
    if not await screen.app.push_screen_wait(ConfirmDialog(question, yes="Run", rows=rows)):
        screen.notify("The command was not run; the call is still open.")
        return
    result = await asyncio.to_thread(run_tool_command, argv)
    _answer(screen, call_id, result, open_ids)


def command_confirmation(call_id: str, argv: list[str]) -> tuple[Content, list[tuple[str, Content]]]:
    """The question before a tool command runs, and its rows: the exact argv, as one command line and then each
    argument numbered (the dialog wraps a long one under itself), every control in it shown (`exact_visible`),
    since the model's arguments are part of it and a removed escape sequence would hide what runs."""
    digits = len(str(len(argv) - 1))
    rows = [(f"  {number:>{digits}}: ", exact_content(part)) for number, part in enumerate(argv)]
    return exact_content(f"Run this command for tool call {call_id}?\n\n{shlex.join(argv)}"), rows


def _call_parts(messages: list[DisplayMessage], call_id: str) -> tuple[str, str]:
    """The tool name and the arguments (JSON text) of call `call_id`, from the last reply that made it."""
    for message in reversed(messages):
        for call in message.tool_calls or []:
            if call.get("id") == call_id:
                function = call.get("function")
                if not isinstance(function, dict):
                    function = {}
                arguments = function.get("arguments") or ""
                return str(function.get("name")), arguments if isinstance(arguments, str) else json.dumps(arguments)
    return "", ""
