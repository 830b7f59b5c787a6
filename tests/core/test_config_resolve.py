"""Which endpoint, URL, model and key a run uses: precedence, the key-to-host rule, api_key_cmd."""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from toki_tui.core.config.config_file import (
    Config,
    EndpointConfig,
    ResolvedEndpoint,
    load_config,
    require_api_key,
    resolve_endpoint,
    run_key_command,
    with_changes,
    with_endpoint,
)
from toki_tui.core.config.in_place_save import save_config
from toki_tui.core.errors import ConfigError, MissingApiKeyError

SECRET = "sk-secret-0123456789abcdef"
TOKI_URL = "https://www.tokiai.ai/v1"
FAKE_URL = "http://127.0.0.1:8765/v1"


def never_run(command: str) -> str:
    raise AssertionError(f"api_key_cmd must not run here: {command}")


def resolve(config: Config, env: dict[str, str], **flags: str | None) -> ResolvedEndpoint:
    return resolve_endpoint(config, env, run_key_cmd=never_run, **flags)


def work_config(**fields: object) -> Config:
    endpoint = EndpointConfig(**{"name": "work", "base_url": "https://api.work.example/v1", **fields})  # type: ignore[arg-type]
    return with_endpoint(Config(), endpoint)


# --- precedence: flag, then environment, then file, then default ------------------------------------------------


@pytest.mark.parametrize(("flag", "env", "file"), list(itertools.product([False, True], repeat=3)))
def test_model_precedence_in_every_combination(flag: bool, env: bool, file: bool) -> None:
    config = with_changes(Config(), model="file/model") if file else Config()
    environment = {"TOKI_MODEL": "env/model"} if env else {}
    resolved = resolve(config, environment, model="flag/model" if flag else None)
    expected = "flag/model" if flag else "env/model" if env else "file/model" if file else "deepseek/deepseek-chat-v3"
    assert resolved.model == expected


@pytest.mark.parametrize(("flag", "env", "file"), list(itertools.product([False, True], repeat=3)))
def test_base_url_precedence_in_every_combination(flag: bool, env: bool, file: bool) -> None:
    file_url = "https://file.example/v1"
    config = with_endpoint(Config(), EndpointConfig("toki", file_url, "TOKI_API_KEY")) if file else Config()
    environment = {"TOKI_BASE_URL": "http://env.example:81/v1/"} if env else {}
    resolved = resolve(config, environment, base_url="http://flag.example:82/v1" if flag else None)
    expected = (
        "http://flag.example:82/v1" if flag else "http://env.example:81/v1" if env else file_url if file else TOKI_URL
    )
    assert resolved.base_url == expected
    # A run sent to another host is an ad-hoc endpoint named after that host, so the history says where it went.
    assert resolved.name == ("flag.example-82" if flag else "env.example-81" if env else "toki")


@pytest.mark.parametrize(("flag", "file"), list(itertools.product([False, True], repeat=2)))
def test_endpoint_precedence(flag: bool, file: bool) -> None:
    config = work_config(api_key_env="WORK_KEY")
    config = with_endpoint(config, EndpointConfig("home", "https://home.example/v1", "HOME_KEY"))
    if file:
        config = with_changes(config, endpoint="home")
    resolved = resolve(config, {}, endpoint="work" if flag else None)
    assert resolved.name == ("work" if flag else "home" if file else "toki")


def test_empty_environment_values_count_as_unset() -> None:
    resolved = resolve(Config(), {"TOKI_MODEL": " ", "TOKI_BASE_URL": "", "TOKI_API_KEY": ""})
    assert (resolved.base_url, resolved.model, resolved.api_key) == (TOKI_URL, "deepseek/deepseek-chat-v3", None)


def test_unknown_endpoint_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown endpoint 'wrok'; the config defines: toki, work"):
        resolve(work_config(), {}, endpoint="wrok")


def test_an_endpoint_picked_by_flag_uses_its_own_first_model() -> None:
    config = work_config(models=("work-large", "work-small"))
    assert resolve(config, {}, endpoint="work").model == "work-large"
    assert resolve(config, {"TOKI_MODEL": "m"}, endpoint="work").model == "m"
    assert resolve(config, {}, endpoint="work").models == ("work-large", "work-small")


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ({"base_url": "localhost:8080/v1"}, {}, "--base-url: expected an http:// or https:// URL"),
        ({}, {"TOKI_BASE_URL": "ftp://x"}, "TOKI_BASE_URL: expected an http:// or https:// URL"),
        ({"base_url": f"{TOKI_URL}/chat/completions"}, {}, "--base-url: expected the API root"),
        ({}, {"TOKI_BASE_URL": f"https://u:{SECRET}@x.example"}, "TOKI_BASE_URL: expected an http"),
    ],
)
def test_bad_urls_from_flags_and_environment(flags: dict[str, str], env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(Config(), env, **flags)
    assert str(caught.value).startswith(expected)
    assert SECRET not in str(caught.value)


# --- keys ------------------------------------------------------------------------------------------------------


def test_key_order_env_then_command_then_stored() -> None:
    ran: list[str] = []

    def runner(command: str) -> str:
        ran.append(command)
        return "cmd-key"

    config = work_config(api_key_env="WORK_KEY", api_key_cmd="pass show work", api_key="stored-key")
    both = resolve_endpoint(config, {"WORK_KEY": " env-key\n"}, endpoint="work", run_key_cmd=runner)
    assert (both.api_key, both.key_source, ran) == ("env-key", "WORK_KEY", [])
    command = resolve_endpoint(config, {}, endpoint="work", run_key_cmd=runner)
    assert (command.api_key, command.key_source, ran) == (
        "cmd-key",
        "api_key_cmd of endpoint 'work'",
        ["pass show work"],
    )
    stored = resolve(work_config(api_key_env="WORK_KEY", api_key="stored-key"), {}, endpoint="work")
    assert (stored.api_key, stored.key_source) == ("stored-key", "config file")


def test_toki_api_key_is_not_the_key_of_another_endpoint() -> None:
    resolved = resolve(work_config(api_key_env="WORK_KEY"), {"TOKI_API_KEY": SECRET}, endpoint="work")
    assert resolved.api_key is None
    with pytest.raises(MissingApiKeyError, match=r"no API key for endpoint 'work': set WORK_KEY, or set api_key_cmd"):
        require_api_key(resolved)


def test_missing_toki_key_names_the_variable_and_the_config_option() -> None:
    resolved = resolve(Config(), {})
    assert resolved.key_required
    with pytest.raises(MissingApiKeyError) as caught:
        require_api_key(resolved)
    assert "set TOKI_API_KEY, or set api_key_cmd under [endpoints.toki]" in str(caught.value)


def test_an_endpoint_without_key_options_needs_no_key() -> None:
    resolved = resolve(
        with_endpoint(Config(), EndpointConfig("local", "http://localhost:11434/v1")), {}, endpoint="local"
    )
    assert (resolved.api_key, resolved.key_required) == (None, False)


def test_key_with_control_characters_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(Config(), {"TOKI_API_KEY": f"{SECRET}\x1b[2J"})
    assert "the API key from TOKI_API_KEY contains spaces or control characters" in str(caught.value)
    assert SECRET not in str(caught.value)


# --- the key-to-host rule --------------------------------------------------------------------------------------


def test_base_url_flag_to_another_host_withholds_the_key() -> None:
    config = with_endpoint(Config(), EndpointConfig("toki", TOKI_URL, "TOKI_API_KEY", api_key_cmd="pass show toki"))
    resolved = resolve(config, {"TOKI_API_KEY": SECRET}, base_url=FAKE_URL)  # never_run: the command is not run
    assert resolved.api_key is None
    assert resolved.name == "127.0.0.1-8765"
    # No key of another endpoint goes there; the request is sent without one (a local server needs none).
    assert not resolved.key_required
    with pytest.raises(MissingApiKeyError) as caught:
        require_api_key(resolved)
    message = str(caught.value)
    assert "no API key for 127.0.0.1:8765" in message
    assert "keys of other endpoints are never sent to it" in message
    assert SECRET not in message


def test_a_configured_endpoint_for_the_target_host_lends_its_name_and_key() -> None:
    local = EndpointConfig("local", "http://127.0.0.1:8765/v1", api_key="local-key")
    config = with_endpoint(Config(), local)
    resolved = resolve(config, {"TOKI_BASE_URL": FAKE_URL, "TOKI_API_KEY": ""})
    assert (resolved.name, resolved.api_key, resolved.base_url) == ("local", "local-key", FAKE_URL)
    assert resolve(config, {"TOKI_API_KEY": SECRET}, base_url=FAKE_URL).api_key == "local-key"


def test_toki_base_url_with_toki_api_key_is_one_explicit_setting() -> None:
    resolved = resolve(Config(), {"TOKI_BASE_URL": FAKE_URL, "TOKI_API_KEY": SECRET})
    assert (resolved.base_url, resolved.api_key, resolved.key_source) == (FAKE_URL, SECRET, "TOKI_API_KEY")


def test_base_url_flag_to_the_host_named_by_toki_base_url_keeps_toki_api_key() -> None:
    env = {"TOKI_BASE_URL": "http://127.0.0.1:8765/other", "TOKI_API_KEY": SECRET}
    assert resolve(Config(), env, base_url=FAKE_URL).api_key == SECRET
    env["TOKI_BASE_URL"] = "http://127.0.0.1:9999/v1"
    assert resolve(Config(), env, base_url=FAKE_URL).api_key is None


def test_toki_base_url_does_not_receive_another_endpoints_key() -> None:
    config = dataclasses.replace(
        work_config(api_key_env="WORK_KEY", api_key_cmd="pass show work", api_key="stored"), default_endpoint="work"
    )
    env = {"TOKI_BASE_URL": FAKE_URL, "WORK_KEY": SECRET}
    resolved = resolve(config, env)
    assert (resolved.base_url, resolved.api_key) == (FAKE_URL, None)
    assert "keys of other endpoints are never sent to it" in resolved.missing_key_message
    # ... but the TOKI_BASE_URL + TOKI_API_KEY pair goes together.
    env["TOKI_API_KEY"] = "toki-key"
    assert resolve(config, env).api_key == "toki-key"


def test_an_endpoint_named_by_flag_wins_over_toki_base_url() -> None:
    """`--endpoint work` names the endpoint to talk to: TOKI_BASE_URL (the environment) does not redirect it."""
    config = work_config(api_key_env="WORK_KEY")
    env = {"TOKI_BASE_URL": FAKE_URL, "TOKI_API_KEY": "toki-key", "WORK_KEY": SECRET}
    resolved = resolve(config, env, endpoint="work")
    assert (resolved.name, resolved.base_url, resolved.api_key) == ("work", "https://api.work.example/v1", SECRET)
    # --base-url is a flag too, and still points the named endpoint elsewhere (without its key).
    moved = resolve(config, env, endpoint="work", base_url="http://127.0.0.1:9999/v1")
    assert moved.base_url == "http://127.0.0.1:9999/v1" and moved.api_key is None


def test_a_stored_key_stays_on_its_host() -> None:
    config = work_config(api_key="stored-key")
    assert resolve(config, {}, endpoint="work").api_key == "stored-key"
    assert resolve(config, {}, endpoint="work", base_url="https://evil.example/v1").api_key is None


@pytest.mark.parametrize(
    ("override", "kept"),
    [
        ("https://WWW.TokiAI.ai/v2/", True),  # same origin, other path; host names are case-insensitive
        ("https://www.tokiai.ai:443/v1", True),  # the default port written out
        ("https://www.tokiai.ai:8443/v1", False),  # another port
        ("http://www.tokiai.ai/v1", False),  # another scheme (and port): never downgrade a key to plain HTTP
        ("https://tokiai.ai/v1", False),  # another host, even a parent domain
        ("https://www.tokiai.ai.evil.example/v1", False),
    ],
)
def test_origin_comparison(override: str, kept: bool) -> None:
    resolved = resolve(Config(), {"TOKI_API_KEY": SECRET}, base_url=override)
    assert (resolved.api_key == SECRET) is kept


def test_only_the_scheme_differs_and_the_key_stays_home() -> None:
    resolved = resolve(Config(), {"TOKI_API_KEY": SECRET}, base_url="http://www.tokiai.ai:443/v1")
    assert resolved.api_key is None
    assert resolved.name == "www.tokiai.ai-443"  # plain http to port 443 is another origin than https


def test_resolved_repr_never_shows_the_key() -> None:
    resolved = resolve(Config(), {"TOKI_API_KEY": SECRET})
    assert SECRET not in repr(resolved)
    assert SECRET not in str(resolved)
    assert "api_key=<hidden>" in repr(resolved)
    assert "key_source='TOKI_API_KEY'" in repr(resolved)


def test_saving_after_resolving_never_writes_an_environment_key(tmp_path: Path) -> None:
    config = work_config(api_key_env="WORK_KEY")
    assert resolve(config, {"WORK_KEY": SECRET, "TOKI_API_KEY": SECRET}, endpoint="work").api_key == SECRET
    path = tmp_path / "config.toml"
    save_config(config, path)
    assert SECRET not in path.read_text()
    assert load_config(path) == config


# --- api_key_cmd through a real shell --------------------------------------------------------------------------


def resolve_with_command(command: str, runner: Callable[[str], str] = run_key_command) -> ResolvedEndpoint:
    return resolve_endpoint(work_config(api_key_cmd=command), {}, endpoint="work", run_key_cmd=runner)


def test_key_command_success_takes_the_first_line() -> None:
    resolved = resolve_with_command("printf '\\n  k-123  \\nurl: https://work.example\\n'")
    assert (resolved.api_key, resolved.key_source) == ("k-123", "api_key_cmd of endpoint 'work'")


def test_key_command_does_not_read_tokis_stdin() -> None:
    # `cat` would swallow a piped question if the command shared toki's stdin; it gets /dev/null instead.
    with pytest.raises(ConfigError, match=r"^api_key_cmd of endpoint 'work' printed nothing"):
        resolve_with_command("cat")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (f"echo {SECRET}; echo {SECRET} >&2; exit 3", "api_key_cmd of endpoint 'work' exited with status 3"),
        ("true", "api_key_cmd of endpoint 'work' printed nothing"),
        ("printf '\\377\\376'", "api_key_cmd of endpoint 'work' printed something that is not UTF-8 text"),
        (f"echo '{SECRET} x'", "the API key from api_key_cmd of endpoint 'work' contains spaces"),
    ],
)
def test_key_command_failure_names_the_endpoint_and_status_never_the_output(command: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_with_command(command)
    assert str(caught.value).startswith(expected)
    assert SECRET not in str(caught.value)


def test_key_command_timeout_does_not_hang_on_a_lingering_child() -> None:
    # The shell runs `sleep` as a child that keeps stdout open after the shell is killed.
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"^api_key_cmd of endpoint 'work' did not finish within 0\.3 s"):
        resolve_with_command(f"echo {SECRET}; sleep 5; echo done", lambda c: run_key_command(c, timeout=0.3))
    assert time.monotonic() - started < 3


def test_a_custom_runner_error_is_named_by_type_only() -> None:
    def runner(command: str) -> str:
        raise RuntimeError(f"output was {SECRET}")

    with pytest.raises(ConfigError) as caught:
        resolve_with_command("anything", runner)
    assert str(caught.value) == "api_key_cmd of endpoint 'work' failed (RuntimeError)"


def _gone(pid: int) -> bool:
    """Exited (or exited and not yet reaped by whoever inherited it: a zombie runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_key_command_timeout_kills_what_the_command_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    command = f"sleep 30 & echo $! > {pid_file}; wait"
    with pytest.raises(ConfigError, match=r"did not finish within 0\.5 s and was stopped, with what it started"):
        resolve_with_command(command, lambda c: run_key_command(c, timeout=0.5))
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert _gone(child), "the key command's child was left running"
    finally:
        if not _gone(child):
            os.kill(child, signal.SIGKILL)
