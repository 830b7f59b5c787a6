"""Carrying out a slash command on the chat screen. Parsing and validation are in toki_tui.ui.slash_commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from toki_tui.ui.slash_commands import (
    ApplyPreset,
    AttachFile,
    BranchCommand,
    CompareModels,
    CopyReply,
    ExportConversation,
    LoadTools,
    NewConversation,
    RunTool,
    SavePreset,
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
            screen.model_choice.pick()
        else:
            screen.settings.set_model(action.model_id)
            screen.notify(f"Model: {action.model_id} (from the next message)")
    elif isinstance(action, CompareModels):
        if action.models is None:
            screen.compare.pick()
        elif not action.models:
            screen.compare.cancel()
        else:
            screen.compare.arm(action.models)
    elif isinstance(action, SetParameter):
        screen.settings.apply(action.name, action.value, echo=True)
        shown = "server default" if action.value is None else f"{action.value:g}"
        screen.notify(f"{action.name} = {shown} (from the next message)")
    elif isinstance(action, SetSystemPrompt):
        screen.settings.apply("system_prompt", action.text, echo=True)
        screen.notify("System prompt cleared." if action.text is None else "System prompt set.")
    elif isinstance(action, SetSwitch):
        screen.settings.apply(action.name, action.enabled, echo=True)
        label = "JSON mode" if action.name == "json_mode" else "Streaming"
        screen.notify(f"{label} {'on' if action.enabled else 'off'}.")
    elif isinstance(action, SetSystemRole):
        screen.settings.apply("system_role", action.role, echo=True)
        screen.notify(f"The system prompt is sent as {action.role} (from the next message).")
    elif isinstance(action, NewConversation):
        screen.action_new_conversation()
    elif isinstance(action, SetTitle):
        screen.history.rename(action.title)
    elif isinstance(action, ShowHelp):
        screen.action_help()
    elif isinstance(action, CopyReply):
        screen.reply_actions.copy_reply(code=action.code, block=action.block)
    elif isinstance(action, ExportConversation):
        screen.reply_actions.export_conversation(action.export_format, action.path)
    elif isinstance(action, ShowReplyDetails):
        screen.reply_actions.show_target_details()
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
        if action.tools:
            screen.replies.mcp.show_tools()
        else:
            screen.replies.mcp.show_servers()
    elif isinstance(action, ApplyPreset | SavePreset):
        from toki_tui.ui.screens import preset_actions

        if isinstance(action, SavePreset):
            preset_actions.save_preset(screen, action.name)
        elif action.name is None:
            preset_actions.list_presets(screen)
        else:
            preset_actions.apply_preset(screen, action.name)
    elif isinstance(action, BranchCommand):
        if action.name == "regenerate":
            screen.branches.regenerate_last()
        elif action.name == "edit":
            screen.branches.edit_last()
        else:
            screen.branches.continue_reply()
    elif isinstance(action, AttachFile):
        if action.path is None:
            screen.attachments.clear()
            screen.notify("No files attached.")
        else:
            screen.attachments.attach(action.path)
