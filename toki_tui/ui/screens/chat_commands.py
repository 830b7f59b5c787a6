"""Carrying out a slash command on the chat screen. Parsing and validation are in toki_tui.ui.slash_commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from toki_tui.ui.slash_commands import (
    AttachFile,
    BranchCommand,
    CopyReply,
    ExportConversation,
    LoadTools,
    NewConversation,
    RunTool,
    SetModel,
    SetParameter,
    SetSwitch,
    SetSystemPrompt,
    SetSystemRole,
    SetTitle,
    SetToolChoice,
    ShowHelp,
    ShowMcp,
    ShowReplyDetails,
    SlashCommandError,
    ToolResult,
    parse_slash_command,
)
from toki_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from toki_tui.ui.screens.chat import ChatScreen


def run_slash_command(screen: ChatScreen, text: str) -> None:
    """Apply the command, or put the text back in the prompt and say what is wrong with it."""
    try:
        action = parse_slash_command(text)
    except SlashCommandError as error:
        prompt = screen.query_one(PromptInput)
        prompt.text = text.rstrip("\n")
        prompt.move_cursor(prompt.document.end)
        screen.notify(str(error), title="Command not applied", severity="error")
        return
    if isinstance(action, SetModel):
        if action.model_id is None:
            screen.action_pick_model()
        else:
            screen.set_model(action.model_id)
            screen.notify(f"Model: {action.model_id} (from the next message)")
    elif isinstance(action, SetParameter):
        screen.apply_setting(action.name, action.value, echo=True)
        shown = "server default" if action.value is None else f"{action.value:g}"
        screen.notify(f"{action.name} = {shown} (from the next message)")
    elif isinstance(action, SetSystemPrompt):
        screen.apply_setting("system_prompt", action.text, echo=True)
        screen.notify("System prompt cleared." if action.text is None else "System prompt set.")
    elif isinstance(action, SetSwitch):
        screen.apply_setting(action.name, action.enabled, echo=True)
        label = "JSON mode" if action.name == "json_mode" else "Streaming"
        screen.notify(f"{label} {'on' if action.enabled else 'off'}.")
    elif isinstance(action, SetSystemRole):
        screen.apply_setting("system_role", action.role, echo=True)
        screen.notify(f"The system prompt is sent as {action.role} (from the next message).")
    elif isinstance(action, NewConversation):
        screen.action_new_conversation()
    elif isinstance(action, SetTitle):
        screen.rename_conversation(action.title)
    elif isinstance(action, ShowHelp):
        screen.action_help()
    elif isinstance(action, CopyReply):
        screen.copy_reply(code=action.code, block=action.block)
    elif isinstance(action, ExportConversation):
        screen.export_conversation(action.export_format, action.path)
    elif isinstance(action, ShowReplyDetails):
        screen.action_reply_details()
    elif isinstance(action, LoadTools | SetToolChoice | ToolResult | RunTool):
        from toki_tui.ui.screens import tool_commands

        if isinstance(action, LoadTools):
            tool_commands.load_tools(screen, action.path)
        elif isinstance(action, SetToolChoice):
            tool_commands.set_tool_choice(screen, action.choice)
        elif isinstance(action, RunTool):
            tool_commands.run_tool(screen, action.call_id)
        else:
            tool_commands.answer_tool_call(screen, action.argument)
    elif isinstance(action, ShowMcp):
        from toki_tui.ui.screens import mcp_tools

        if action.tools:
            mcp_tools.show_tools(screen)
        else:
            mcp_tools.show_servers(screen)
    elif isinstance(action, BranchCommand):
        if action.name == "regenerate":
            screen.regenerate_last()
        elif action.name == "edit":
            screen.edit_last()
        else:
            screen.continue_reply()
    elif isinstance(action, AttachFile):
        if action.path is None:
            screen.clear_attachments()
            screen.notify("No files attached.")
        else:
            screen.attach_file(action.path)
