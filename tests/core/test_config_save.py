"""Saving keeps the user's file: comments, key order and blank lines survive every save, and only what toki
changed is written (a theme, the defaults, an endpoint's key); a file toki cannot read is never overwritten."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from toki_tui.core.api.params import ChatParams
from toki_tui.core.config.config_file import (
    Config,
    EndpointConfig,
    load_config,
    with_changes,
    with_endpoint,
)
from toki_tui.core.config.in_place_save import save_config
from toki_tui.core.config.presets import preset_from_settings
from toki_tui.core.errors import ConfigError

SECRET = "sk-secret-0123456789abcdef"

USER_FILE = """\
# My toki settings, kept in my dotfiles.

default_model = "x/first"   # the one I like

theme = "toki-dark"         # dark at night

[parameters]
# Warm, but not too warm.
temperature = 0.5  # tuned by hand

max_tokens = 800

[keymap]
"app.quit" = "ctrl+q"       # muscle memory

# The office server.
[endpoints.work]
base_url = "https://api.example.com/v1"   # through the VPN
api_key_env = "WORK_KEY"
"""


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def user_file(tmp_path: Path, text: str = USER_FILE) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def lines_kept(path: Path, original: str, changed: set[str]) -> None:
    """Every line of `original` is still in the file, in the same order, except the lines of the keys in
    `changed` (whose values toki rewrote, trailing comments included)."""
    saved = path.read_text(encoding="utf-8").splitlines()
    expected = [line for line in original.splitlines() if line.split("=")[0].strip() not in changed]
    position = 0
    for line in expected:
        assert line in saved[position:], f"lost or moved: {line!r}\n--- saved ---\n{path.read_text()}"
        position = saved.index(line, position) + 1


def test_a_comment_added_to_a_file_toki_saved_survives_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_config(with_changes(Config(), theme="toki-light"), path)
    path.write_text(path.read_text() + "\n# added by hand after toki saved\n")
    save_config(with_changes(load_config(path), theme="toki-high-contrast"), path)
    assert "# added by hand after toki saved" in path.read_text()
    assert not path.with_name("config.toml.bak").exists()
    assert load_config(path).theme == "toki-high-contrast"


def test_a_theme_save_changes_only_the_theme_line(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    save_config(with_changes(load_config(path), theme="toki-light"), path)
    text = path.read_text()
    assert 'theme = "toki-light"         # dark at night' in text  # the value changes, its comment stays
    lines_kept(path, USER_FILE, {"theme"})
    assert text.replace('"toki-light"', '"toki-dark"') == USER_FILE
    assert not path.with_name("config.toml.bak").exists()


def test_a_defaults_save_touches_only_the_model_and_the_parameters_that_changed(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    params = ChatParams.create(temperature=0.9, max_tokens=800, top_p=0.5)
    save_config(with_changes(load_config(path), model="x/second", parameters=params, system_prompt="Be brief."), path)
    lines_kept(path, USER_FILE, {"default_model", "temperature"})
    text = path.read_text()
    assert 'default_model = "x/second"   # the one I like' in text
    assert "temperature = 0.9  # tuned by hand" in text
    # The new keys go into the user's [parameters] table, not into a new one.
    assert text.count("[parameters]") == 1
    loaded = load_config(path)
    assert loaded.parameters == params and loaded.system_prompt == "Be brief."
    assert loaded.default_model == "x/second"


def test_a_parameter_reset_to_the_server_default_is_removed(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    save_config(with_changes(load_config(path), parameters=ChatParams.create(temperature=0.5)), path)
    assert "max_tokens" not in path.read_text()
    lines_kept(path, USER_FILE, {"max_tokens"})
    assert load_config(path).parameters == ChatParams.create(temperature=0.5)


def test_an_api_key_save_for_an_existing_endpoint_goes_into_its_table(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    config = load_config(path)
    save_config(with_endpoint(config, dataclasses.replace(config.endpoints["work"], api_key=SECRET)), path)
    lines_kept(path, USER_FILE, set())
    text = path.read_text()
    assert text.count(SECRET) == 1 and text.count("[endpoints.work]") == 1
    assert text.index(SECRET) > text.index("[endpoints.work]")
    assert load_config(path).endpoints["work"].api_key == SECRET
    assert mode_of(path) == 0o600


def test_an_api_key_save_for_a_new_endpoint_adds_one_table(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    config = load_config(path)
    local = EndpointConfig(name="127.0.0.1", base_url="http://127.0.0.1:8080/v1", api_key=SECRET)
    save_config(with_endpoint(config, local), path)
    lines_kept(path, USER_FILE, set())
    assert path.read_text().startswith(USER_FILE)
    assert load_config(path).endpoints["127.0.0.1"] == local


def test_an_api_key_for_the_built_in_endpoint_writes_only_the_key(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    config = load_config(path)
    save_config(with_endpoint(config, dataclasses.replace(config.endpoints["toki"], api_key=SECRET)), path)
    assert path.read_text() == USER_FILE + f'\n[endpoints.toki]\napi_key = "{SECRET}"\n'
    assert load_config(path).endpoints["toki"].api_key_env == "TOKI_API_KEY"  # still tried first


def test_repeated_saves_keep_everything_and_add_nothing(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    for theme in ("toki-light", "toki-high-contrast", "toki-dark", "toki-light", "toki-dark"):
        save_config(with_changes(load_config(path), theme=theme), path)
    assert path.read_text() == USER_FILE
    config = load_config(path)
    save_config(config, path)  # nothing changed: the file is left byte for byte
    assert path.read_text() == USER_FILE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_changes_are_made_against_what_the_app_loaded_not_over_later_hand_edits(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    loaded = load_config(path)  # the app starts with this
    path.write_text(USER_FILE.replace('"x/first"', '"x/edited-while-running"'))
    changed = with_changes(loaded, theme="toki-light")
    save_config(changed, path, base=loaded)
    config = load_config(path)
    assert (config.default_model, config.theme) == ("x/edited-while-running", "toki-light")


def test_a_new_file_is_0600_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    old_umask = os.umask(0)
    try:
        save_config(with_changes(Config(), theme="toki-light", system_prompt="one\ntwo"), path)
    finally:
        os.umask(old_umask)
    assert mode_of(path) == 0o600 and mode_of(path.parent) == 0o700
    assert load_config(path) == with_changes(Config(), theme="toki-light", system_prompt="one\ntwo")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('theme = "toki-dark"\n[parameters\n', r"line 2, column \d+: not valid TOML"),
        ('theme = "toki-dark"\ntemprature = 1\n', r"temprature: unknown key"),
        ("[parameters]\ntemperature = 9\n", r"parameters\.temperature: expected a number from 0 to 2"),
    ],
)
def test_a_file_toki_cannot_read_is_never_overwritten(tmp_path: Path, text: str, expected: str) -> None:
    path = user_file(tmp_path, text)
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=expected) as caught:
        save_config(with_changes(Config(), theme="toki-light"), path)
    assert str(path) in str(caught.value)
    assert "not saved" in str(caught.value) and "fix" in str(caught.value)
    assert path.read_text() == text and mode_of(path) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_an_environment_key_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORK_KEY", SECRET)
    path = user_file(tmp_path)
    save_config(with_changes(load_config(path), theme="toki-light"), path)
    assert SECRET not in path.read_text()


def test_the_header_of_older_toki_saves_is_dropped_since_it_is_no_longer_true(tmp_path: Path) -> None:
    old = (
        "# toki configuration, saved by toki. Comments are not kept when toki saves this file (a hand-written file\n"
        "# with comments was kept as config.toml.bak); `toki config init` writes a commented example of every key.\n"
        '\ntheme = "toki-light"\n'
    )
    path = user_file(tmp_path, old)
    save_config(with_changes(load_config(path), theme="toki-dark"), path)
    assert path.read_text() == 'theme = "toki-dark"\n'


def test_tomlkit_is_not_imported_until_a_save() -> None:
    code = (
        "import sys\n"
        "import toki_tui.core.config.config_file, toki_tui.cli, toki_tui.cli.ask, toki_tui.ui.app\n"
        "print('tomlkit' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_a_key_for_an_endpoint_the_file_does_not_have_yet_writes_the_whole_endpoint(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    # The app runs with an endpoint that came from somewhere other than the file.
    running = with_endpoint(load_config(path), EndpointConfig(name="lab", base_url="http://10.0.0.2:8000/v1"))
    keyed = with_endpoint(running, dataclasses.replace(running.endpoints["lab"], api_key=SECRET))
    save_config(keyed, path, base=running)
    assert path.read_text().startswith(USER_FILE)
    assert load_config(path).endpoints["lab"] == keyed.endpoints["lab"]


def test_inline_tables_and_dotted_keys_are_edited_where_they_are(tmp_path: Path) -> None:
    text = 'parameters = { temperature = 0.5 }  # inline\nendpoints.work.base_url = "http://10.0.0.2/v1"\n'
    path = user_file(tmp_path, text)
    config = load_config(path)
    config = with_changes(config, parameters=ChatParams.create(temperature=0.7, top_p=0.2))
    save_config(with_endpoint(config, dataclasses.replace(config.endpoints["work"], api_key=SECRET)), path)
    saved = path.read_text()
    assert saved.startswith("parameters = { temperature = 0.7, top_p = 0.2}  # inline\n")
    assert f'endpoints.work.api_key = "{SECRET}"' in saved and "[endpoints" not in saved  # no new table
    loaded = load_config(path)
    assert loaded.parameters == ChatParams.create(temperature=0.7, top_p=0.2)
    assert loaded.endpoints["work"].api_key == SECRET


def test_an_endpoint_removed_from_the_config_loses_its_table_and_nothing_else(tmp_path: Path) -> None:
    path = user_file(tmp_path)
    config = load_config(path)
    save_config(dataclasses.replace(config, endpoints={"toki": config.endpoints["toki"]}), path)
    assert "[endpoints.work]" not in path.read_text()
    lines_kept(path, USER_FILE.split("# The office server.")[0], set())
    assert list(load_config(path).endpoints) == ["toki"]


def test_a_preset_saved_over_one_left_out_for_a_bad_key_replaces_its_table(tmp_path: Path) -> None:
    text = (
        '# mine\n[presets.terse]\nmodell = "typo"\n[presets.terse.parameters]\ntemprature = 3\n'
        '[presets.kept]\nmodel = "k"\n'
    )
    path = user_file(tmp_path, text)
    config = load_config(path)
    assert "terse" not in config.presets  # left out, with a problem
    saved_preset = preset_from_settings(
        "terse",
        model="m",
        endpoint=None,
        params=ChatParams.create(temperature=0.2),
        system_prompt=None,
        tools_file=None,
    )
    save_config(dataclasses.replace(config, presets={**config.presets, "terse": saved_preset}), path)
    saved = path.read_text()
    assert "modell" not in saved and "temprature" not in saved and saved.startswith("# mine\n")
    reloaded = load_config(path)
    assert reloaded.presets["terse"].model == "m" and reloaded.presets["terse"].parameters == {"temperature": 0.2}
    assert reloaded.presets["kept"].model == "k"
