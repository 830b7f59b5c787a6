"""The config file: loading, one clear error per broken file, atomic 0600 saving, round trips, reprs."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from toki_tui.core.api.params import ChatParams
from toki_tui.core.config.config_file import (
    Config,
    EndpointConfig,
    Timeouts,
    config_from_toml,
    default_config_text,
    load_config,
    with_changes,
    with_endpoint,
)
from toki_tui.core.config.in_place_save import save_config
from toki_tui.core.errors import ConfigError

SECRET = "sk-secret-0123456789abcdef"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path / "config.toml", text))


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    return str(caught.value)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- loading ---------------------------------------------------------------------------------------------------


def test_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope" / "config.toml")
    assert config == Config()
    assert config.source is None
    assert config.default_endpoint == "toki"
    assert config.default_model == "deepseek/deepseek-chat-v3"
    toki = config.endpoints["toki"]
    assert (toki.base_url, toki.api_key_env) == ("https://www.tokiai.ai/v1", "TOKI_API_KEY")
    assert config.timeouts == Timeouts(connect=10.0, idle=120.0, total=None)


def test_a_full_file_loads_every_field(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        """
default_endpoint = "work"
default_model = "gpt-4o-mini"
theme = "toki-light"

[parameters]
temperature = 1
top_p = 0.5
max_tokens = 512
frequency_penalty = -1.5
presence_penalty = 0.25
json_mode = true
stream = false
system_prompt = "Be brief."

[timeouts]
connect = 3
idle = 30.5
total = 0

[keymap]
"app.quit" = "ctrl+q"

[endpoints.work]
base_url = "https://api.example.com/v1/"
api_key_env = "WORK_API_KEY"
api_key_cmd = "pass show work"
models = ["gpt-4o-mini", "gpt-4o"]
system_role = "developer"
""",
    )
    assert config.source == tmp_path / "config.toml"
    assert (config.default_endpoint, config.default_model, config.theme) == ("work", "gpt-4o-mini", "toki-light")
    assert config.parameters == ChatParams(
        temperature=1.0,
        top_p=0.5,
        max_tokens=512,
        frequency_penalty=-1.5,
        presence_penalty=0.25,
        json_mode=True,
        stream=False,
    )
    assert isinstance(config.parameters.temperature, float)
    assert config.system_prompt == "Be brief."
    assert config.timeouts == Timeouts(connect=3.0, idle=30.5, total=None)
    assert dict(config.keymap) == {"app.quit": "ctrl+q"}
    assert list(config.endpoints) == ["toki", "work"]
    assert config.endpoints["work"] == EndpointConfig(
        name="work",
        base_url="https://api.example.com/v1",  # trailing slash removed
        api_key_env="WORK_API_KEY",
        api_key_cmd="pass show work",
        models=("gpt-4o-mini", "gpt-4o"),
        system_role="developer",
    )


def test_endpoints_toki_adjusts_the_built_in_endpoint(tmp_path: Path) -> None:
    config = load_text(tmp_path, '[endpoints.toki]\napi_key_cmd = "pass show toki"\nmodels = ["a/b"]\n')
    toki = config.endpoints["toki"]
    assert toki.base_url == "https://www.tokiai.ai/v1"
    assert toki.api_key_env == "TOKI_API_KEY"
    assert (toki.api_key_cmd, toki.models) == ("pass show toki", ("a/b",))


def test_the_example_config_loads_as_the_defaults(tmp_path: Path) -> None:
    text = default_config_text()
    assert load_text(tmp_path, text) == Config()
    # Every key of the file is shown in the example, so the example is a complete reference.
    for key in ("default_endpoint", "default_model", "theme", "temperature", "top_p", "max_tokens",
                "frequency_penalty", "presence_penalty", "json_mode", "stream", "system_prompt", "connect",
                "idle", "total", "[keymap]", "base_url", "api_key_env", "api_key_cmd", "models",
                "system_role"):  # fmt: skip
        assert key in text, key
    # Uncommenting the [endpoints.work] example gives a valid endpoint.
    block = text[text.index("# [endpoints.work]") :].split("\n\n")[0]
    work = "\n".join(line.removeprefix("# ") for line in block.splitlines() if "api_key_cmd" not in line)
    assert load_text(tmp_path, work).endpoints["work"] == EndpointConfig(
        name="work",
        base_url="https://api.example.com/v1",
        api_key_env="WORK_API_KEY",
        models=("gpt-4o-mini", "gpt-4o"),
        system_role="developer",
    )


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbftheme = "toki-light"\n')
    assert load_config(path).theme == "toki-light"


# --- broken files: one clear message naming the file, the key or line, and the expected form -------------------


def test_bad_toml_names_the_file_line_and_column(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'theme = "toki-dark"\n\n[parameters]\ntemperature = 0,7\n')
    assert message.startswith(str(tmp_path / "config.toml") + ": line 4, column")
    assert "not valid TOML" in message
    assert 'key = "text"' in message  # the expected form
    assert "Traceback" not in message


def test_an_unclosed_string_is_reported_without_echoing_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, f'[endpoints.work]\nbase_url = "https://x.example"\napi_key = "{SECRET}\n')
    assert "line 3" in message
    assert SECRET not in message


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[parameters]\ntemprature = 0.5\n")
    assert str(tmp_path / "config.toml") in message
    assert "parameters.temprature: unknown key (did you mean temperature?)" in message
    assert "expected one of temperature, top_p" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert "colour: unknown key" in error_of(tmp_path, 'colour = "red"\n')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[parameters]\ntemperature = 3\n", "parameters.temperature: expected a number from 0 to 2, got 3"),
        ('[parameters]\ntemperature = "0.7"\n', "parameters.temperature: expected a number from 0 to 2, got '0.7'"),
        ("[parameters]\nmax_tokens = 0\n", "parameters.max_tokens: expected an integer >= 1, got 0"),
        ("[parameters]\nmax_tokens = 10.5\n", "parameters.max_tokens: expected an integer >= 1, got 10.5"),
        ("[parameters]\ntop_p = true\n", "parameters.top_p: expected a number from 0 to 1, got true"),
        ('[parameters]\nstream = "yes"\n', "parameters.stream: expected true or false, got 'yes'"),
        ("[parameters]\nsystem_prompt = 1\n", "parameters.system_prompt: expected a string, got 1"),
        ("theme = 7\n", "theme: expected a non-empty string, got 7"),
        ('default_model = ""\n', "default_model: expected a non-empty string, got ''"),
        ('parameters = "hot"\n', "parameters: expected a table such as [parameters], got 'hot'"),
        ("[timeouts]\nidle = -1\n", "timeouts.idle: expected a number of seconds greater than 0, got -1"),
        ("[timeouts]\ntotal = -1\n", "timeouts.total: expected a number of seconds greater than 0, or 0 for no"),
        ('[keymap]\n"app.quit" = ""\n', "keymap.app.quit: expected keys such as \"ctrl+q\", got ''"),
        ('default_endpoint = "wrok"\n', "default_endpoint: expected the name of an endpoint (toki), got 'wrok'"),
        ('[endpoints]\nwork = "https://x"\n', "endpoints.work: expected a table such as [endpoints.work] with"),
        ("[endpoints.work]\nmodels = []\n", "endpoints.work.base_url: missing; expected a URL such as"),
        ('[endpoints.work]\nbase_url = "https://x.example"\nmodels = "gpt"\n', "endpoints.work.models: expected an"),
        ('[endpoints."my work"]\nbase_url = "https://x.example"\n', "endpoints.my work: expected an endpoint name"),
    ],
)
def test_wrong_types_and_values_name_key_and_expected_form(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / "config.toml") + ": ")
    assert expected in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("www.tokiai.ai/v1", "expected an http:// or https:// URL such as https://www.tokiai.ai/v1"),
        ("ftp://files.example/v1", "expected an http:// or https:// URL"),
        ("https://", "expected an http:// or https:// URL"),
        ("https://x.example:99999/v1", "expected an http:// or https:// URL"),
        ("https://x.example/v1?key=1", "without a ?query or #fragment"),
        ("https://www.tokiai.ai/v1/chat/completions", "without /chat/completions (toki adds"),
        ("https://www.tokiai.ai/v1/chat/completions/", "without /chat/completions (toki adds"),
    ],
)
def test_bad_base_urls_are_explained(tmp_path: Path, url: str, expected: str) -> None:
    message = error_of(tmp_path, f'[endpoints.work]\nbase_url = "{url}"\n')
    assert "endpoints.work.base_url: " in message
    assert expected in message


def test_a_password_in_a_url_is_refused_and_not_echoed(tmp_path: Path) -> None:
    message = error_of(tmp_path, f'[endpoints.work]\nbase_url = "https://me:{SECRET}@x.example/v1"\n')
    assert "without a user name or password" in message
    assert SECRET not in message


@pytest.mark.parametrize("key", ["api_key_env", "api_key", "api_key_cmd"])
def test_bad_secret_fields_are_never_echoed(tmp_path: Path, key: str) -> None:
    # A key pasted into api_key_env is the classic mistake; the message must not repeat it.
    value = f"{SECRET} with spaces" if key != "api_key_cmd" else ""
    message = error_of(tmp_path, f'[endpoints.work]\nbase_url = "https://x.example"\n{key} = "{value}"\n')
    assert f"endpoints.work.{key}: expected" in message
    assert "not shown here" in message
    if value:
        assert SECRET not in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[parameters]\ntemperature = 3\ntop_p = 2\n[timeouts]\nidle = 0\ntheme = 1\n")
    assert message.startswith(f"{tmp_path / 'config.toml'}: 4 problems:\n")
    for key in ("parameters.temperature", "parameters.top_p", "timeouts.idle", "timeouts.theme"):
        assert f"\n  {key}" in message


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(folder)
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'theme = "x"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match=r"latin1\.toml: line 2: not UTF-8 text"):
        load_config(path)


# --- saving ----------------------------------------------------------------------------------------------------


def rich_config() -> Config:
    config = with_changes(
        Config(),
        model="gpt-4o",
        theme="toki-light",
        parameters=ChatParams.create(temperature=0.3, max_tokens=100, json_mode=True, stream=False),
        system_prompt='Say "hi".\nThen stop.',
        keymap={"app.quit": "ctrl+q,ctrl+c"},
        timeouts=Timeouts(connect=2, idle=5, total=None),
    )
    config = with_endpoint(
        config,
        EndpointConfig(
            name="work",
            base_url="http://127.0.0.1:8080/v1",
            api_key_env="WORK_KEY",
            api_key_cmd="pass show work",
            api_key=SECRET,
            models=("m1", "m2"),
        ),
    )
    return with_changes(config, endpoint="work")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = rich_config()
    save_config(config, path)
    loaded = load_config(path)
    assert loaded == config
    assert loaded.source == path
    # Back to the defaults: values toki set are set back (explicitly), unset ones removed.
    save_config(Config(), path)
    assert load_config(path) == Config()
    assert "api_key" not in path.read_text() and "temperature" not in path.read_text()


def test_round_trip_of_a_toki_endpoint_without_an_env_variable(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    toki = dataclasses.replace(Config().endpoints["toki"], api_key_env=None, api_key_cmd="pass show toki")
    config = with_endpoint(Config(), toki)
    save_config(config, path)
    assert load_config(path).endpoints["toki"] == toki


def test_new_file_is_0600_in_a_new_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    old_umask = os.umask(0)  # the most permissive umask must not widen the mode
    try:
        save_config(rich_config(), path)
    finally:
        os.umask(old_umask)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700


def test_existing_readable_file_becomes_0600(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'theme = "x"\n')
    path.chmod(0o644)
    save_config(rich_config(), path)
    assert mode_of(path) == 0o600
    assert load_config(path).theme == "toki-light"


def test_a_symlinked_config_file_stays_a_symlink(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = write(dotfiles / "toki.toml", "")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    save_config(rich_config(), link)
    assert link.is_symlink()
    assert load_config(real) == rich_config()
    assert mode_of(real) == 0o600


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = write(tmp_path / "config.toml", 'theme = "old"\n')
    path.chmod(0o640)

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(ConfigError, match=r"could not save the config to .*config\.toml: No space left on device"):
        save_config(rich_config(), path)
    monkeypatch.undo()
    assert path.read_text() == 'theme = "old"\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
    assert mode_of(path) == 0o640  # the old file is untouched, mode included


def test_saved_file_holds_only_the_explicit_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_config(rich_config(), path)
    text = path.read_text()
    assert text.count(SECRET) == 1  # the api_key set through the dialog, nothing from the environment
    assert "WORK_KEY" in text


def test_with_changes_checks_values() -> None:
    config = with_changes(Config(), model="x/y", parameters={"temperature": 1.5})
    assert (config.default_model, config.parameters.temperature) == ("x/y", 1.5)
    with pytest.raises(ConfigError, match="parameters: temperature must be a number from 0 to 2"):
        with_changes(Config(), parameters={"temperature": 3})
    with pytest.raises(ConfigError, match="default_model: expected a non-empty string"):
        with_changes(Config(), model=" ")
    with pytest.raises(ConfigError, match=r"default_endpoint: expected one of the endpoints \(toki\)"):
        with_changes(Config(), endpoint="nowhere")
    assert with_changes(Config(), system_prompt="  ").system_prompt == "  "
    assert with_changes(Config(), system_prompt="").system_prompt is None
    with pytest.raises(TypeError, match="unknown field 'colour'"):
        with_changes(Config(), colour="red")


def test_dataclasses_are_frozen_and_check_themselves() -> None:
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.theme = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.endpoints["evil"] = config.endpoints["toki"]  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"EndpointConfig\.base_url: expected the API root"):
        EndpointConfig(name="x", base_url="https://x.example/v1/chat/completions")
    with pytest.raises(ConfigError, match=r"Timeouts\.idle: expected a number of seconds greater than 0"):
        Timeouts(idle=0)


def test_reprs_never_show_a_stored_key(tmp_path: Path) -> None:
    config = rich_config()
    assert SECRET not in repr(config)
    assert SECRET not in repr(config.endpoints["work"])
    assert SECRET not in str(config.endpoints["work"])
    save_config(config, tmp_path / "config.toml")
    assert SECRET not in repr(load_config(tmp_path / "config.toml"))


def test_config_from_toml_without_a_path_names_config() -> None:
    with pytest.raises(ConfigError, match=r"^config: theme: expected"):
        config_from_toml({"theme": 1})
