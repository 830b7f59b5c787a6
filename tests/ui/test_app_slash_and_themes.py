"""Pure parts of the app: slash command parsing and completion, theme files (no Textual app needed)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from toki_tui.ui.slash_commands import (
    ApplyPreset,
    NewConversation,
    SavePreset,
    SetModel,
    SetParameter,
    SetSwitch,
    SetSystemPrompt,
    SetTitle,
    ShowHelp,
    SlashCommandError,
    completion_hint,
    is_slash_command,
    parse_slash_command,
    unescape_prompt,
)
from toki_tui.ui.themes import ThemeFileError, choose_theme, load_all_themes, load_builtin_themes, parse_theme_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/temperature 0.3", SetParameter("temperature", 0.3)),
        ("/top_p 1", SetParameter("top_p", 1.0)),
        ("/max_tokens 500", SetParameter("max_tokens", 500)),
        ("/frequency_penalty -1.5", SetParameter("frequency_penalty", -1.5)),
        ("/presence_penalty off", SetParameter("presence_penalty", None)),
        ("/model openai/gpt-4o", SetModel("openai/gpt-4o")),
        ("/model", SetModel(None)),
        ("/system You are terse.", SetSystemPrompt("You are terse.")),
        ("/system", SetSystemPrompt(None)),
        ("/json on", SetSwitch("json_mode", True)),
        ("/stream off", SetSwitch("stream", False)),
        ("/new", NewConversation()),
        ("/title  Trip to Kyoto ", SetTitle("Trip to Kyoto")),
        ("/HELP", ShowHelp()),
        ("/preset terse", ApplyPreset("terse")),
        ("/preset", ApplyPreset(None)),
        ("/preset save my-preset", SavePreset("my-preset")),
    ],
)
def test_commands_parse(text: str, expected: object) -> None:
    assert parse_slash_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/temperature 3", "temperature must be a number from 0 to 2"),
        ("/temperature", "a number from 0 to 2"),
        ("/max_tokens 1.5", "an integer >= 1"),
        ("/top_p nan", "a number from 0 to 1"),
        ("/json maybe", "on or off"),
        ("/title", "needs the new title"),
        ("/temprature 1", "did you mean /temperature"),
        ("/frobnicate", "unknown command /frobnicate"),
        ("/preset save", "takes the name to save the settings as"),
        ("/preset a b", "one preset name"),
    ],
)
def test_bad_commands_say_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(SlashCommandError, match=message):
        parse_slash_command(text)


def test_slash_detection_and_escape() -> None:
    assert is_slash_command("/new")
    assert not is_slash_command("/ not a command")
    assert not is_slash_command("//etc/hosts is a file")
    assert not is_slash_command("hello /new")
    assert unescape_prompt("//etc/hosts") == "/etc/hosts"


def test_completion_hint() -> None:
    assert "/system" in completion_hint("/s") and "/stream" in completion_hint("/s")
    assert "0..2" in completion_hint("/temperature ")


def test_builtin_themes_ship_in_the_package() -> None:
    names = {entry.name for entry in resources.files("toki_tui.themes").iterdir()}
    assert {"toki-dark.toml", "toki-light.toml", "toki-high-contrast.toml"} <= names
    themes = {theme.name: theme for theme in load_builtin_themes()}
    assert themes["toki-light"].dark is False
    assert themes["toki-dark"].dark is True
    assert themes["toki-high-contrast"].background == "#000000"


def test_every_bad_colour_is_named(tmp_path: Path) -> None:
    with pytest.raises(ThemeFileError) as caught:
        parse_theme_text('name = "x"\nprimary = "#zzz"\naccent = 3\ncolour = "red"\n', "x.toml")
    text = str(caught.value)
    assert "primary = '#zzz'" in text and "accent = 3" in text and "unknown key 'colour'" in text


def test_user_themes_load_and_bad_files_become_one_report(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('name = "good"\nprimary = "rgb(10, 20, 30)"\n')
    (tmp_path / "bad.toml").write_text('name = "bad"\nprimary = "#xyzxyz"\n')
    (tmp_path / "broken.toml").write_text("name = \n")
    (tmp_path / "clash.toml").write_text('name = "toki-dark"\nprimary = "#ffffff"\n')
    catalog = load_all_themes(tmp_path)
    assert "good" in catalog.names and "bad" not in catalog.names
    report = catalog.problem_report()
    assert report is not None
    assert "bad.toml" in report and "broken.toml" in report and "toki-dark" in report
    assert load_all_themes(tmp_path / "missing").problems == []


def test_unknown_theme_falls_back_with_a_notice() -> None:
    assert choose_theme("toki-light", ["toki-light", "toki-dark"]) == ("toki-light", None)
    name, notice = choose_theme("nope", ["toki-dark"])
    assert name == "toki-dark" and notice is not None and "nope" in notice
