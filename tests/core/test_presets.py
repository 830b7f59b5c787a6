"""Presets: `[presets.NAME]` tables and files of the presets folder, checked with the config's own checks; a bad
one is left out with one message naming its file and field while the rest load; flags > preset > environment >
config; saving one keeps the user's comments."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.conftest import IsolatedDirs
from toki_tui.cli.ask import params_from_args
from toki_tui.cli.common import load_settings_and_preset
from toki_tui.core.api.params import ChatParams
from toki_tui.core.config.config_file import load_config, parameters_for_endpoint
from toki_tui.core.config.in_place_save import save_config
from toki_tui.core.config.model import with_preset
from toki_tui.core.config.presets import (
    Preset,
    find_preset,
    preset_from_settings,
    tools_file_path,
    valid_preset_name,
)
from toki_tui.core.errors import ConfigError

CONFIG = """\
default_model = "m/default"

[parameters]
temperature = 0.7
max_tokens = 1000

[endpoints.work]
base_url = "https://api.example.com/v1"
api_key_env = "WORK_KEY"

# Short answers for quick questions.
[presets.terse]
model = "m/terse"       # the small one
endpoint = "work"
system_prompt = "Answer in one sentence."
system_role = "developer"
[presets.terse.parameters]
temperature = 0.2
json_mode = true

[presets.hot]
parameters = { temperature = 5 }
"""


def write(folder: Path, text: str = CONFIG, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    if files:
        (folder / "presets").mkdir(exist_ok=True)
        for name, body in files.items():
            (folder / "presets" / name).write_text(body, encoding="utf-8")
    return path


def test_table_and_folder_presets_load_and_a_bad_one_is_named_by_file_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        **{
            "coder.toml": 'model = "m/coder"\ntools_file = "tools.json"\n[parameters]\nmax_tokens = 4000\n',
            "tools.json": "not a preset: not read",
            "typo.toml": 'modle = "m/x"\n',
            "broken.toml": "model = \n",
            "has space.toml": 'model = "m/x"\n',
            "terse.toml": 'model = "m/shadowed"\n',
        },
    )
    (tmp_path / "presets" / "tools.json").write_text(json.dumps([{"type": "function", "function": {"name": "f"}}]))
    config = load_config(path)

    assert sorted(config.presets) == ["coder", "terse"]
    terse = config.presets["terse"]
    assert (terse.model, terse.endpoint, terse.system_role, terse.json_mode) == ("m/terse", "work", "developer", True)
    assert terse.system_prompt == "Answer in one sentence."
    assert dict(terse.parameters) == {"temperature": 0.2} and terse.file is None
    coder = config.presets["coder"]
    assert coder.file == tmp_path / "presets" / "coder.toml"
    assert coder.tools is not None and coder.tools[0]["function"]["name"] == "f"  # relative to the preset's file

    problems = config.preset_problems
    assert problems["hot"] == f"{path}: presets.hot.parameters.temperature: expected a number from 0 to 2, got 5"
    typo = tmp_path / "presets" / "typo.toml"
    assert problems["typo"] == (
        f"{typo}: modle: unknown key (did you mean model?); expected one of model, endpoint, system_prompt, "
        "system_role, json_mode, tools_file, parameters"
    )
    assert problems["broken"].startswith(f"{tmp_path / 'presets' / 'broken.toml'}: line 1, column 9: not valid TOML")
    assert "file name: expected a name of at most 64 letters" in problems["has space"]
    assert "also in" in problems["terse (terse.toml)"]
    with pytest.raises(ConfigError, match=r"the preset 'hot' cannot be used: .*temperature"):
        find_preset(config.presets, problems, "hot")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('endpoint = "elsewhere"', "endpoint: expected the name of an endpoint of the config (toki, work)"),
        ('system_role = "admin"', 'system_role: expected "system" or "developer"'),
        ('json_mode = "yes"', "json_mode: expected true or false"),
        ('tools_file = "missing.json"', "tools_file: "),
        ('system_prompt = "a"\n[parameters]\nsystem_prompt = "b"', "system_prompt: set both here and in"),
    ],
)
def test_each_bad_field_is_named(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, CONFIG.replace("[presets.hot]\nparameters = { temperature = 5 }\n", ""), **{"x.toml": body})
    config = load_config(path)
    assert "terse" in config.presets and "x" not in config.presets
    assert expected in config.preset_problems["x"]


def test_an_unknown_name_lists_the_presets(tmp_path: Path) -> None:
    config = load_config(write(tmp_path))
    with pytest.raises(ConfigError, match=r"unknown preset 'nope'; the presets are: terse \("):
        find_preset(config.presets, config.preset_problems, "nope")


@pytest.mark.parametrize("name", ["", "../x", "a/b", "a b", "x.y", ".hidden", "a" * 65, "e\x1b[31m", "save"])
def test_a_name_must_be_safe_as_a_file_name_and_not_the_save_command(name: str) -> None:
    with pytest.raises(ValueError):
        valid_preset_name(name)
    with pytest.raises(ConfigError, match=r"Preset\.name"):
        Preset(name=name)


def test_flags_go_over_the_preset_which_goes_over_the_environment_and_the_config(
    isolated_dirs: IsolatedDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(isolated_dirs.config_dir)
    monkeypatch.setenv("TOKI_MODEL", "m/environment")
    monkeypatch.setenv("WORK_KEY", "sk-work")
    args = argparse.Namespace(preset="terse", system=None, system_role=None, temperature=None, top_p=None,
                              max_tokens=None, frequency_penalty=None, presence_penalty=None, json=False,
                              no_stream=False, tools=None, tool_choice=None)  # fmt: skip
    config, resolved, preset = load_settings_and_preset(args)
    assert preset is not None
    assert (resolved.name, resolved.model, resolved.api_key) == ("work", "m/terse", "sk-work")
    assert (args.system, args.system_role) == ("Answer in one sentence.", "developer")
    params = params_from_args(args, preset.params_over(parameters_for_endpoint(config, resolved.name)))
    assert params.to_wire() == {"temperature": 0.2, "max_tokens": 1000, "response_format": {"type": "json_object"}}

    flags = argparse.Namespace(**{**vars(args), "model": "m/flag", "system": "Flag.", "temperature": "0.9"})
    flags.preset, flags.system_role = "terse", None
    config, resolved, preset = load_settings_and_preset(flags)
    assert preset is not None and (resolved.model, flags.system) == ("m/flag", "Flag.")
    assert params_from_args(flags, preset.params_over(config.parameters)).temperature == 0.9

    args = argparse.Namespace(temperature=None)  # no --preset: the environment, then the config
    assert load_settings_and_preset(args)[1].model == "m/environment"


def test_an_empty_system_prompt_in_a_preset_clears_the_one_in_force(isolated_dirs: IsolatedDirs) -> None:
    """`system_prompt = ""` (in the preset or its parameters) is "no system prompt", not "leave it": the config's
    own one is not sent."""
    text = CONFIG.replace("[parameters]\n", '[parameters]\nsystem_prompt = "Config."\n')
    folder = isolated_dirs.config_dir
    bare = 'parameters = { system_prompt = "" }\n'
    write(folder, text + '\n[presets.plain]\nsystem_prompt = ""\n', **{"bare.toml": bare})
    config = load_config(folder / "config.toml")
    assert config.system_prompt == "Config."
    for name in ("plain", "bare"):
        assert config.presets[name].system_prompt == ""
        assert config.presets[name].describe() == "no system prompt"
        args = argparse.Namespace(preset=name, system=None, system_role=None)
        load_settings_and_preset(args)
        assert args.system == "", '--system "": toki ask sends no system message'
    assert config.presets["terse"].system_prompt == "Answer in one sentence."


def test_params_over_keeps_what_the_preset_does_not_set() -> None:
    tools = ({"type": "function", "function": {"name": "g"}},)
    base = ChatParams.create(temperature=0.5, top_p=0.9, tool_choice={"type": "function", "function": {"name": "f"}})
    preset = Preset(name="p", parameters={"temperature": 1.0}, tools=tools, tools_file="t.json")
    params = preset.params_over(base)
    assert (params.temperature, params.top_p, params.tools, params.tool_choice) == (1.0, 0.9, tools, None)


def test_saving_a_preset_writes_its_tables_and_keeps_the_comments(tmp_path: Path) -> None:
    path = write(tmp_path)
    config = load_config(path)
    saved = Preset(
        name="review",
        model="m/review",
        system_prompt="Review this.\nBe kind.",
        json_mode=False,
        parameters={"temperature": 0.3, "max_tokens": 500},
    )
    save_config(with_preset(config, saved), path, base=config)
    text = path.read_text(encoding="utf-8")
    assert "# Short answers for quick questions." in text and 'model = "m/terse"       # the small one' in text
    assert "[presets.review]" in text and "[presets.review.parameters]" in text and "[presets]\n" not in text
    reloaded = load_config(path)
    assert reloaded.presets["review"] == saved
    assert reloaded.presets["terse"] == config.presets["terse"]


def test_the_settings_saved_as_a_preset_apply_back_as_they_were(tmp_path: Path) -> None:
    params = ChatParams.create(temperature=0.4, max_tokens=200, stream=False, json_mode=True, system_role="developer")
    tools = ({"type": "function", "function": {"name": "f"}},)
    saved = preset_from_settings(
        "mine",
        model="m/x",
        endpoint="work",
        params=params.replace(tools=tools),
        system_prompt="Be brief.",
        tools_file="/abs/tools.json",
    )
    assert dict(saved.parameters) == {"temperature": 0.4, "max_tokens": 200, "stream": False}
    assert (saved.json_mode, saved.system_role, saved.tools_file) == (True, "developer", "/abs/tools.json")
    assert saved.params_over(ChatParams()) == params  # tools come from the file when the preset is loaded
    assert "model m/x, endpoint work, system prompt as developer, JSON mode on, temperature 0.4" in saved.describe()
    without_tools = preset_from_settings("n", model="m", endpoint=None, params=params, system_prompt=None,
                                         tools_file="/abs/tools.json")  # fmt: skip
    assert without_tools.tools_file is None, "no tools in use: the file is not part of the settings"
    assert without_tools.system_prompt == "" and "no system prompt" in without_tools.describe()
    assert tools_file_path(Preset(name="a", tools_file="t.json", file=tmp_path / "presets" / "a.toml"), None) == str(
        tmp_path / "presets" / "t.json"
    )
    assert tools_file_path(Preset(name="a", tools_file="t.json"), tmp_path / "config.toml") == str(tmp_path / "t.json")
