"""Slash commands typed in the prompt: parsing into typed actions and completion of command names.

Pure functions with no Textual or I/O, so every command and every error message is unit-tested directly. Values
are validated here with the same rules as the sidebar (toki_tui.core.api.params), so `/temperature 3` is refused
with the allowed range before anything changes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from toki_tui.core.api.params import PARAMETER_RANGES, SYSTEM_ROLES, ParameterError, check_parameter
from toki_tui.core.compare import CompareError, check_compare_models


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    argument: str
    help: str


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("model", "ID", "switch the model for the next request (no ID: open the model picker)"),
    CommandSpec(
        "compare", "ID ID [ID…]|off", "send the next prompt to 2-4 models side by side (no ID: pick them; off: cancel)"
    ),
    CommandSpec("temperature", "0..2|off", "sampling temperature"),
    CommandSpec("top_p", "0..1|off", "nucleus sampling"),
    CommandSpec("max_tokens", "N|off", "upper bound on the reply length"),
    CommandSpec("frequency_penalty", "-2..2|off", "penalise frequent tokens"),
    CommandSpec("presence_penalty", "-2..2|off", "penalise tokens already present"),
    CommandSpec("system", "TEXT", "set the system prompt (no text: clear it)"),
    CommandSpec("role", "system|developer", "send the system prompt as system or as developer (newer OpenAI models)"),
    CommandSpec("json", "on|off", "ask for a JSON object reply"),
    CommandSpec("stream", "on|off", "stream the reply as it is generated"),
    CommandSpec("new", "", "start a new conversation"),
    CommandSpec("title", "TEXT", "rename this conversation"),
    CommandSpec(
        "copy", "[code [N]]", "copy the focused or last reply (Markdown), or its Nth code block (default: the last)"
    ),
    CommandSpec("export", "md|json [PATH]", "save this conversation to a file (default: its title, in this folder)"),
    CommandSpec("details", "", "how the focused or last reply was made: model, parameters, usage, timing"),
    CommandSpec("regenerate", "", "a new reply in place of the last one (the old one stays as a sibling)"),
    CommandSpec("edit", "", "edit the last question: it opens in the prompt, sending asks it anew beside the old"),
    CommandSpec("continue", "", "have the model go on with the last reply, stopped or cut short"),
    CommandSpec(
        "tools", "[PATH|off]", "send a JSON file's tools with each request (off: none; alone: switch MCP tools off)"
    ),
    CommandSpec("mcp", "", "the MCP servers: each one's state (starting, ready, failed and why) and its tools"),
    CommandSpec("tool_choice", "auto|none|required|NAME", "whether the model may, must or must not call a tool"),
    CommandSpec("tool_result", "[ID] TEXT", "answer the open tool call (ID: which one, when several are open)"),
    CommandSpec("tool_run", "[ID]", "run the command the config binds to the open call's tool, once you confirm"),
    CommandSpec("preset", "NAME|save NAME", "apply a preset (no NAME: list them), or save the settings as one"),
    CommandSpec("help", "", "show keys and commands"),
    CommandSpec("attach", "PATH|clear", "attach an image or text file to the next message (clear: drop them all)"),
)
COMMAND_NAMES = tuple(spec.name for spec in COMMANDS)
_CLEAR_WORDS = {"off", "none", "default", "unset"}
_ON_WORDS = {"on", "true", "yes", "1"}
_OFF_WORDS = {"off", "false", "no", "0"}


class SlashCommandError(ValueError):
    """The text looks like a command but cannot be used; the message says what to type instead."""


@dataclass(frozen=True, slots=True)
class SetModel:
    model_id: str | None
    """None opens the model picker."""


@dataclass(frozen=True, slots=True)
class CompareModels:
    models: tuple[str, ...] | None
    """The models the next prompt goes to (2-4, checked); None opens the picker; () cancels compare."""


@dataclass(frozen=True, slots=True)
class SetParameter:
    name: str
    value: float | int | None
    """None lets the server choose."""


@dataclass(frozen=True, slots=True)
class SetSystemPrompt:
    text: str | None


@dataclass(frozen=True, slots=True)
class SetSwitch:
    name: str
    """"json_mode" or "stream"."""
    enabled: bool


@dataclass(frozen=True, slots=True)
class SetSystemRole:
    role: str
    """"system" or "developer"."""


@dataclass(frozen=True, slots=True)
class NewConversation:
    pass


@dataclass(frozen=True, slots=True)
class SetTitle:
    title: str


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class CopyReply:
    code: bool = False
    """Copy a fenced code block rather than the whole reply."""
    block: int | None = None
    """Which code block, from 1; None: the last one."""


@dataclass(frozen=True, slots=True)
class ExportConversation:
    export_format: str
    """"md" or "json"."""
    path: str | None
    """None: a file named after the title, in the current folder."""


@dataclass(frozen=True, slots=True)
class ShowReplyDetails:
    pass


@dataclass(frozen=True, slots=True)
class BranchCommand:
    """/regenerate, /edit or /continue, on the last reply or question on screen."""

    name: str


@dataclass(frozen=True, slots=True)
class AttachFile:
    path: str | None
    """None: drop every file waiting to be sent."""


@dataclass(frozen=True, slots=True)
class LoadTools:
    path: str | None
    """None: send no tools."""


@dataclass(frozen=True, slots=True)
class ShowMcp:
    """/mcp (servers and their states), or /tools alone (`tools`: the switches of the MCP tools)."""

    tools: bool


@dataclass(frozen=True, slots=True)
class SetToolChoice:
    choice: str
    """auto, none, required or a tool's name (checked against the loaded tools when applied)."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    argument: str
    """"[ID] TEXT": whether the first word is an id depends on the calls open (see tool_answers.split_result)."""


@dataclass(frozen=True, slots=True)
class RunTool:
    call_id: str | None
    """None: the only open call."""


@dataclass(frozen=True, slots=True)
class ApplyPreset:
    name: str | None
    """None: list the presets."""


@dataclass(frozen=True, slots=True)
class SavePreset:
    name: str
    """Checked against the name rule (presets.valid_preset_name) when saved."""


SlashAction = (
    SetModel
    | CompareModels
    | SetParameter
    | SetSystemPrompt
    | SetSwitch
    | SetSystemRole
    | NewConversation
    | SetTitle
    | ShowHelp
    | CopyReply
    | ExportConversation
    | ShowReplyDetails
    | BranchCommand
    | AttachFile
    | LoadTools
    | ShowMcp
    | SetToolChoice
    | ToolResult
    | RunTool
    | ApplyPreset
    | SavePreset
)


def is_slash_command(text: str) -> bool:
    """A prompt starting with "/" followed by a letter is a command; "//x" sends "/x" literally."""
    stripped = text.lstrip()
    return len(stripped) > 1 and stripped[0] == "/" and stripped[1].isalpha()


def unescape_prompt(text: str) -> str:
    """A leading "//" is how to send a message that starts with a slash."""
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("//") else text


def _on_off(name: str, argument: str) -> bool:
    word = argument.strip().lower()
    if word in _ON_WORDS:
        return True
    if word in _OFF_WORDS:
        return False
    raise SlashCommandError(f"/{name} takes on or off, not {argument.strip()!r}")


def parse_slash_command(text: str) -> SlashAction:
    """Turn "/temperature 0.3" into SetParameter("temperature", 0.3); raise SlashCommandError on bad input."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        raise SlashCommandError("commands start with /")
    head, _, argument = stripped[1:].partition(" ")
    name = head.strip().lower()
    argument = argument.strip()
    if name not in COMMAND_NAMES:
        candidates = complete_command_name(name) or difflib.get_close_matches(name, COMMAND_NAMES, n=1)
        hint = f" (did you mean /{candidates[0]}?)" if candidates else ""
        raise SlashCommandError(f"unknown command /{name}{hint}; /help lists the commands")
    if name == "model":
        return SetModel(argument.split()[0] if argument else None)
    if name == "compare":
        return _compare_action(argument)
    if name in PARAMETER_RANGES:
        if not argument:
            allowed = PARAMETER_RANGES[name].describe()
            raise SlashCommandError(f"/{name} needs a value: {allowed}, or off")
        if argument.lower() in _CLEAR_WORDS:
            return SetParameter(name, None)
        try:
            return SetParameter(name, check_parameter(name, argument))
        except ParameterError as error:
            raise SlashCommandError(str(error)) from None
    if name == "system":
        return SetSystemPrompt(argument or None)
    if name in ("json", "stream"):
        if not argument:
            raise SlashCommandError(f"/{name} takes on or off")
        return SetSwitch("json_mode" if name == "json" else "stream", _on_off(name, argument))
    if name == "role":
        role = argument.lower()
        if role not in SYSTEM_ROLES:
            shown = f", not {argument!r}" if argument else ""
            raise SlashCommandError(f"/role takes system or developer{shown}")
        return SetSystemRole(role)
    if name == "new":
        return NewConversation()
    if name == "title":
        if not argument:
            raise SlashCommandError("/title needs the new title")
        return SetTitle(argument)
    if name == "copy":
        return _copy_action(argument)
    if name == "export":
        return _export_action(argument)
    if name == "details":
        return ShowReplyDetails()
    if name in ("regenerate", "edit", "continue"):
        if argument:
            raise SlashCommandError(f"/{name} takes no argument (it acts on the last message; or focus a message)")
        return BranchCommand(name)
    if name == "attach":
        if not argument:
            raise SlashCommandError("/attach needs a file path (or clear, to drop the files attached)")
        return AttachFile(None if argument.lower() == "clear" else argument)
    if name == "tool_run":
        if len(argument.split()) > 1:
            raise SlashCommandError("/tool_run takes at most the id of the call to run")
        return RunTool(argument or None)
    if name == "mcp" or (name == "tools" and not argument):
        return ShowMcp(tools=name == "tools")
    if name in ("tools", "tool_choice", "tool_result"):
        return _tool_action(name, argument)
    if name == "preset":
        return _preset_action(argument)
    return ShowHelp()


def _compare_action(argument: str) -> CompareModels:
    words = argument.split()
    if not words:
        return CompareModels(None)
    if len(words) == 1 and words[0].lower() in _CLEAR_WORDS:
        return CompareModels(())
    try:
        return CompareModels(check_compare_models(words))
    except CompareError as error:
        raise SlashCommandError(f"/compare: {error}") from None


def _preset_action(argument: str) -> ApplyPreset | SavePreset:
    words = argument.split()
    if words[:1] == ["save"]:
        if len(words) != 2:
            raise SlashCommandError("/preset save takes the name to save the settings as, such as /preset save terse")
        return SavePreset(words[1])
    if len(words) > 1:
        raise SlashCommandError("/preset takes one preset name (or save NAME)")
    return ApplyPreset(words[0] if words else None)


def _tool_action(name: str, argument: str) -> LoadTools | SetToolChoice | ToolResult:
    if name == "tools":
        return LoadTools(None if argument.lower() in _CLEAR_WORDS else argument)
    if name == "tool_choice":
        if not argument or len(argument.split()) > 1:
            raise SlashCommandError("/tool_choice takes auto, none, required, or the name of one tool")
        return SetToolChoice(argument)
    if not argument:
        raise SlashCommandError("/tool_result needs the result text (after the call's id when several are open)")
    return ToolResult(argument)


def _copy_action(argument: str) -> CopyReply:
    words = argument.split()
    if not words:
        return CopyReply()
    if words[0].lower() != "code" or len(words) > 2:
        raise SlashCommandError(f"/copy takes nothing, or code [N], not {argument!r}")
    if len(words) == 1:
        return CopyReply(code=True)
    if not words[1].isdigit() or int(words[1]) < 1:
        raise SlashCommandError(f"/copy code takes a block number from 1, not {words[1]!r}")
    return CopyReply(code=True, block=int(words[1]))


def _export_action(argument: str) -> ExportConversation:
    export_format, _, path = argument.partition(" ")
    export_format = export_format.lower()
    if export_format not in ("md", "json"):
        shown = f", not {export_format!r}" if export_format else ""
        raise SlashCommandError(f"/export takes md or json{shown}, then an optional file path")
    return ExportConversation(export_format, path.strip() or None)


def complete_command_name(prefix: str) -> list[str]:
    """Command names starting with `prefix` (without the slash), in table order."""
    prefix = prefix.lower()
    return [name for name in COMMAND_NAMES if name.startswith(prefix)]


def completion_hint(text: str) -> str:
    """A one-line hint listing the commands the prompt could become, shown while typing a command name."""
    if not text.startswith("/") or "\n" in text:
        return ""
    name, space, _ = text[1:].partition(" ")
    if space:
        spec = next((spec for spec in COMMANDS if spec.name == name.lower()), None)
        return f"/{spec.name} {spec.argument} — {spec.help}" if spec else ""
    matches = complete_command_name(name)
    return "  ".join(f"/{match}" for match in matches) + ("  (Tab completes)" if matches else "")


def help_lines() -> list[tuple[str, str]]:
    """(usage, description) for every command, for the help screen."""
    return [(f"/{spec.name} {spec.argument}".rstrip(), spec.help) for spec in COMMANDS]
