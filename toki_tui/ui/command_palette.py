"""Ctrl+P: every toki action as a command, with its key in effect (a remap shows) and a line of help.

Textual's palette parses a hit's prompt and help as markup unless they are `Content`: both are built here from
plain strings, so a key such as `[` shows as itself, and the fuzzy match is highlighted on that `Content` (the
matcher's own `highlight` would parse the command's name as markup).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from toki_tui.ui.key_catalog import WHAT, key_display, keys_for
from toki_tui.ui.safe_text import plain_line

if TYPE_CHECKING:
    from toki_tui.core.config.presets import Preset
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.chat import ChatScreen


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    title: str
    binding_id: str
    """Whose key the palette shows ("" for a command with no key of its own)."""
    help: str
    run: Callable[[ChatScreen], object]


def _search_history(screen: ChatScreen) -> None:
    from toki_tui.ui.widgets.history_list import HistoryList

    if not screen.has_class("-hide-history"):
        screen.query_one(HistoryList).focus_search()
    else:
        screen.action_toggle_history()


def _start_command(screen: ChatScreen, command: str) -> None:
    """Put a slash command that needs an argument in the prompt, ready for it (Tab completes a path there)."""
    from toki_tui.ui.widgets.prompt_input import PromptInput

    prompt = screen.query_one(PromptInput)
    prompt.text = command
    prompt.move_cursor(prompt.document.end)
    prompt.focus()


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = (
    PaletteCommand("New conversation", "chat.new", WHAT["chat.new"], lambda s: s.action_new_conversation()),
    PaletteCommand("Pick model", "chat.model", WHAT["chat.model"], lambda s: s.action_pick_model()),
    PaletteCommand(
        "Compare models",
        "",
        "send the next prompt to 2-4 models side by side (pick them; or /compare ID ID…)",
        lambda s: s.compare.pick(),
    ),
    PaletteCommand("History", "chat.history", WHAT["chat.history"], lambda s: s.action_toggle_history()),
    PaletteCommand("Search history", "", "open the history list and type to search it", _search_history),
    PaletteCommand("Parameters sidebar", "chat.params", WHAT["chat.params"], lambda s: s.action_toggle_params()),
    PaletteCommand("Theme", "app.theme", WHAT["app.theme"], lambda s: s.app.action_change_theme()),
    PaletteCommand("Stop reply", "chat.stop", WHAT["chat.stop"], lambda s: s.action_stop_reply()),
    PaletteCommand("Retry", "chat.retry", WHAT["chat.retry"], lambda s: s.action_retry()),
    PaletteCommand(
        "Regenerate",
        "message.regenerate",
        "a new last reply (the old one stays as a sibling)",
        lambda s: s.branches.regenerate_last(),
    ),
    PaletteCommand(
        "Edit",
        "message.edit",
        "edit the last question in the prompt; sending asks it anew",
        lambda s: s.branches.edit_last(),
    ),
    PaletteCommand(
        "Continue",
        "message.continue",
        "have the model go on with the last reply",
        lambda s: s.branches.continue_reply(),
    ),
    PaletteCommand("Thinking", "chat.thinking", WHAT["chat.thinking"], lambda s: s.action_toggle_thinking()),
    PaletteCommand("Copy reply", "chat.copy", WHAT["chat.copy"], lambda s: s.action_copy_reply()),
    PaletteCommand("Copy code", "chat.copy_code", WHAT["chat.copy_code"], lambda s: s.action_copy_code()),
    PaletteCommand(
        "Export as Markdown",
        "",
        "save this conversation to a .md file in this folder",
        lambda s: s.reply_actions.export_conversation("md", None),
    ),
    PaletteCommand(
        "Export as JSON",
        "",
        "save this conversation to a .json file in this folder",
        lambda s: s.reply_actions.export_conversation("json", None),
    ),
    PaletteCommand(
        "Attach a file",
        "chat.attach",
        "pick an image or a text file for the next message (or /attach PATH)",
        lambda s: s.action_pick_file(),
    ),
    PaletteCommand(
        "Tools",
        "",
        "send the tools of a JSON file with each request: /tools PATH (or /tools off)",
        lambda s: _start_command(s, "/tools "),
    ),
    PaletteCommand(
        "MCP servers",
        "",
        "each MCP server's state (starting, ready with its tools, failed and why): /mcp",
        lambda s: s.replies.mcp.show_servers(),
    ),
    PaletteCommand(
        "MCP tools",
        "",
        "switch MCP servers or tools off for this conversation: /tools",
        lambda s: s.replies.mcp.show_tools(),
    ),
    PaletteCommand(
        "Save as preset…",
        "",
        "store the model, endpoint, system prompt and parameters under a name: /preset save NAME",
        lambda s: _start_command(s, "/preset save "),
    ),
    PaletteCommand("Reply details", "chat.details", WHAT["chat.details"], lambda s: s.action_reply_details()),
    PaletteCommand("Help", "chat.help", WHAT["chat.help"], lambda s: s.action_help()),
    PaletteCommand("Quit", "app.quit", WHAT["app.quit"], lambda s: s.app.exit(0)),
)
"""Every toki action, in the order the palette lists them before anything is typed (then one "Preset: NAME" for
each preset of the config)."""


def _apply_preset(name: str) -> Callable[[ChatScreen], object]:
    def run(screen: ChatScreen) -> None:
        from toki_tui.ui.screens.preset_actions import apply_preset

        apply_preset(screen, name)

    return run


def preset_commands(presets: Mapping[str, Preset]) -> list[PaletteCommand]:
    """One command per preset, named after it, its help saying what it sets (names and values from the config:
    the palette shows them as plain text)."""
    return [
        PaletteCommand(f"Preset: {name}", "", f"apply: {preset.describe()}", _apply_preset(name))
        for name, preset in sorted(presets.items())
    ]


def command_label(command: PaletteCommand, keymap: dict[str, str]) -> str:
    """The command's line: its title, then its key in effect."""
    keys = keys_for(command.binding_id, keymap) if command.binding_id else ""
    return f"{command.title}  ({key_display(keys)})" if keys else command.title


class TokiCommands(Provider):
    def _chat_screen(self) -> ChatScreen | None:
        from toki_tui.ui.screens.chat import ChatScreen

        return self.screen if isinstance(self.screen, ChatScreen) else None

    def _commands(self) -> list[tuple[str, PaletteCommand, ChatScreen]]:
        screen = self._chat_screen()
        if screen is None:
            return []
        app = cast("TokiApp", self.app)
        commands = [*PALETTE_COMMANDS, *preset_commands(app.config.presets)]
        return [(command_label(command, app.applied_keymap), command, screen) for command in commands]

    async def discover(self) -> Hits:
        for label, command, screen in self._commands():
            yield DiscoveryHit(plain_line(label), _runner(command, screen), text=label, help=_help(command))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, command, screen in self._commands():
            score = matcher.match(label)
            if score > 0:
                _, offsets = matcher.fuzzy_search.match(query, label)
                shown = plain_line(label)
                for offset in offsets:
                    shown = shown.stylize(matcher.match_style, offset, offset + 1)
                yield Hit(score, shown, _runner(command, screen), text=label, help=_help(command))


def _help(command: PaletteCommand) -> str:
    # Textual types `help` as a string but passes a Content through unparsed (Content.from_markup).
    # A preset's help holds config values (model ids, file names): shown displayable, on one line.
    return cast(str, plain_line(command.help))


def _runner(command: PaletteCommand, screen: ChatScreen) -> Callable[[], None]:
    def run() -> None:
        command.run(screen)

    return run
