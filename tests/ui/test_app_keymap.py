"""The command palette lists toki's actions with their keys; the config's [keymap] remaps keys, and shows it in the
footer, the F1 help and the palette; a bad entry is named once and keeps its default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from tests.fakes.server import FakeServer
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from toki_tui.core.config.config_file import load_config
from toki_tui.ui.command_palette import PALETTE_COMMANDS
from toki_tui.ui.key_catalog import key_rows, toki_bindings
from toki_tui.ui.screens.file_picker import FilePickerScreen
from toki_tui.ui.screens.help import HelpScreen
from toki_tui.ui.screens.mcp_dialogs import McpServersScreen
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.prompt_input import PromptInput


def app_with_keymap(tmp_path: Path, server: FakeServer, keymap: dict[str, str]) -> AppHarness:
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    config = dataclasses.replace(load_config(tmp_path / "config" / "config.toml"), keymap=keymap)
    return make_app(tmp_path, server, config=config)


def palette_lines(palette: CommandPalette) -> list[str]:
    from textual.widgets import OptionList

    options = palette.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def notifications(harness: AppHarness) -> list[str]:
    return [note.message for note in harness.app._notifications]


def test_every_binding_has_a_documented_id() -> None:
    ids = [binding.id for _where, binding in toki_bindings()]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(row.what for row in key_rows({}))


async def test_palette_lists_toki_commands_with_keys_and_runs_one(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = app_with_keymap(tmp_path, fake_server, {})
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, CommandPalette))
        palette = harness.app.screen
        assert isinstance(palette, CommandPalette)
        await wait_until(pilot, lambda: len(palette_lines(palette)) >= len(PALETTE_COMMANDS))
        lines = palette_lines(palette)
        assert any(line.startswith("New conversation  (Ctrl+N)") for line in lines)
        assert any(line.startswith("Parameters sidebar  (F2 / Ctrl+G)") for line in lines)
        assert any("Export as JSON" in line for line in lines)
        await enter_text(pilot, "search history")
        await wait_until(pilot, lambda: palette_lines(palette)[0].startswith("Search history"))
        await pilot.press("enter")
        history = harness.app.screen.query_one(HistoryList)
        await wait_until(pilot, lambda: not harness.app.screen.has_class("-hide-history"))
        await wait_until(pilot, lambda: history.has_focus_within)


async def test_a_remap_shows_in_footer_help_and_palette_and_works(tmp_path: Path, fake_server: FakeServer) -> None:
    # "[" is markup to Textual: the palette and help must show it as the key it is.
    harness = app_with_keymap(tmp_path, fake_server, {"chat.model": "f12", "message.edit": "left_square_bracket",
                                                      "chat.new": "f9", "prompt.send": "ctrl+s,enter",
                                                      "chat.stop": "f10", "mcp.close": "f7"})  # fmt: skip
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.ready(pilot)
        assert harness.app.applied_keymap["chat.model"] == "f12"
        # Hints that name a key name the one in effect (the first of several).
        assert harness.app.screen.query_one(PromptInput).placeholder.startswith("Message…  Ctrl+S sends ·")
        assert harness.app.key_name("chat.stop", "Esc") == "F10" and harness.app.key_name("chat.retry", "X") == "X"
        await harness.app.push_screen(McpServersScreen([]))
        assert str(harness.app.screen.query_one("#mcp-servers-keys", Static).render()) == "F7 closes"
        await pilot.press("f7")
        await wait_until(pilot, lambda: not isinstance(harness.app.screen, McpServersScreen))
        await wait_until(pilot, lambda: any(key.key == "f9" for key in harness.app.screen.query(FooterKey)))
        assert not any(key.key == "ctrl+n" for key in harness.app.screen.query(FooterKey))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, HelpScreen))
        help_text = str(harness.app.screen.query_one("#help-text", Static).render())
        assert "F12" in help_text and "Ctrl+O" not in help_text
        assert "[ (on a question)" in help_text
        assert "(F10 cancels)" in help_text and "Esc cancels" not in help_text
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, CommandPalette))
        palette = harness.app.screen
        assert isinstance(palette, CommandPalette)
        await wait_until(pilot, lambda: len(palette_lines(palette)) >= len(PALETTE_COMMANDS))
        lines = palette_lines(palette)
        assert any(line.startswith("Pick model  (F12)") for line in lines)
        assert any(line.startswith("Edit  ([)") for line in lines)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(harness.app.screen, CommandPalette))
        harness.app.screen.query_one(PromptInput).focus()
        await pilot.press("f12")
        await wait_until(pilot, lambda: type(harness.app.screen).__name__ == "ModelPickerScreen")
        assert not notifications(harness)


async def test_a_bad_keymap_entry_is_named_once_and_defaults_stay(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = app_with_keymap(tmp_path, fake_server, {"chat.nope": "f6", "chat.model": "ctrl+shift+", "chat.new": "f9"})
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        notes = notifications(harness)
        assert len(notes) == 1
        assert "chat.nope" in notes[0] and "chat.model" in notes[0] and "default" in notes[0]
        assert harness.app.applied_keymap == {"chat.new": "f9"}
        harness.app.screen.query_one(PromptInput).focus()
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(harness.app.screen).__name__ == "ModelPickerScreen")


async def test_a_key_the_prompt_keeps_is_refused_and_named(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = app_with_keymap(tmp_path, fake_server, {"chat.new": "ctrl+a", "chat.help": "x", "message.edit": "ctrl+a"})
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        notes = notifications(harness)
        assert len(notes) == 1
        assert "chat.new" in notes[0] and "ctrl+a" in notes[0] and "chat.help" in notes[0]
        # A message's key works only on a focused message, never in the prompt: ctrl+a is fine there.
        assert harness.app.applied_keymap == {"message.edit": "ctrl+a"}
        prompt = harness.app.screen.query_one(PromptInput)
        prompt.focus()
        await enter_text(pilot, "kept")
        await pilot.press("ctrl+a")
        await pilot.press("x")
        assert prompt.text == "xkept"
        prompt.blur()
        await pilot.pause()
        assert harness.app.screen.active_bindings["ctrl+n"].binding.action == "new_conversation"


async def test_hostile_keymap_values_are_refused_and_shown_inert(tmp_path: Path, fake_server: FakeServer) -> None:
    # Config values are outside text: markup and escapes in them must neither crash the app nor reach the terminal.
    harness = app_with_keymap(tmp_path, fake_server, {"chat.new": "[/]\x1b[31m", "[@click=app.quit]": "f9"})
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        notes = notifications(harness)
        assert len(notes) == 1 and "[/]" in notes[0] and "[@click=app.quit]" in notes[0]
        assert "\x1b" not in notes[0]
        assert harness.app.applied_keymap == {}
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, CommandPalette))
        palette = harness.app.screen
        assert isinstance(palette, CommandPalette)
        await wait_until(pilot, lambda: len(palette_lines(palette)) >= len(PALETTE_COMMANDS))
        assert any(line.startswith("New conversation  (Ctrl+N)") for line in palette_lines(palette))


async def test_the_palette_opens_the_file_picker(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = app_with_keymap(tmp_path, fake_server, {})
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, CommandPalette))
        palette = harness.app.screen
        assert isinstance(palette, CommandPalette)
        await enter_text(pilot, "attach a file")
        await wait_until(pilot, lambda: palette_lines(palette)[0].startswith("Attach a file  (Ctrl+L)"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, FilePickerScreen))


def test_hints_name_the_key_the_keymap_put_in_place() -> None:
    from rich.style import Style

    from toki_tui.ui.key_names import key_name
    from toki_tui.ui.widgets.tool_fold import fold_line

    keymap = {"message.fold": "ctrl+f,f3", "chat.stop": "escape"}
    assert key_name("message.fold", keymap, "F3") == "Ctrl+F"
    assert key_name("chat.stop", keymap, "Esc") == "Escape"
    assert key_name("chat.retry", keymap, "Ctrl+R") == "Ctrl+R"
    fold = fold_line(False, "a\n" * 20, "a\n", Style(), Style(), key_name("message.fold", keymap, "F3"))
    assert fold.plain.endswith("; click or Ctrl+F)")
