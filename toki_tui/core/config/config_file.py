"""The config file (`toki config path` shows where): strict loading, saving that keeps the user's file, the API.

The dataclasses (with the reference documentation of every key) live in config_model.py and the precedence of
flags, environment and file, with the rule that keeps a key on its own host, in secrets.py; both are re-exported
here, so the rest of toki imports everything config-related from this module.

Saving edits the user's file in place (config_save.py).

Loading collects every problem (unknown key, wrong type, value out of range, bad URL) into one ConfigError naming
the file, each key and the expected form (problems.py, with the checks of validators.py and parameters_table.py);
broken TOML is reported with its line and column, never a traceback. Presets are the exception: a bad one is left
out with its message in `Config.preset_problems` and the rest of the file still loads (preset_loading.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from toki_tui.core.api.params import ChatParams
from toki_tui.core.config.endpoints import ResolvedEndpoint, require_api_key, resolve_endpoint, run_key_command
from toki_tui.core.config.model import (
    BUILTIN_ENDPOINT,
    DEFAULT_BASE_URL,
    DEFAULT_ENDPOINT,
    DEFAULT_MODEL,
    DEFAULT_THEME,
    Config,
    EndpointConfig,
    Timeouts,
    default_config_text,
    parameters_for_endpoint,
    with_changes,
    with_endpoint,
)
from toki_tui.core.config.parameters_table import checked_parameters
from toki_tui.core.config.paths import PRESETS_FOLDER
from toki_tui.core.config.prices import parse_model_prices, valid_budget
from toki_tui.core.config.problems import INVALID, Problems, describe_toml_error
from toki_tui.core.config.validators import (
    show_value,
    valid_base_url,
    valid_endpoint_name,
    valid_env_name,
    valid_models,
    valid_optional_text,
    valid_seconds,
    valid_stored_key,
    valid_system_role,
    valid_text,
    valid_tool_commands,
)
from toki_tui.core.errors import ConfigError
from toki_tui.core.mcp.config import parse_mcp_servers

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ENDPOINT",
    "DEFAULT_MODEL",
    "DEFAULT_THEME",
    "Config",
    "EndpointConfig",
    "ResolvedEndpoint",
    "Timeouts",
    "config_from_toml",
    "default_config_text",
    "folder_problem",
    "load_config",
    "parameters_for_endpoint",
    "read_config_text",
    "require_api_key",
    "resolve_endpoint",
    "run_key_command",
    "with_changes",
    "with_endpoint",
]

_TOP_KEYS = (
    "default_endpoint", "default_model", "theme", "tools_file", "parameters", "keymap", "timeouts", "endpoints",
    "tool_commands", "models", "budget_per_day", "presets", "mcp_servers",
)  # fmt: skip
_TIMEOUT_KEYS = ("connect", "idle", "total")
_ENDPOINT_KEYS = ("base_url", "api_key_env", "api_key_cmd", "api_key", "models", "system_role", "tools_file")


def _total_seconds(value: object) -> float | None:
    if value == 0 and not isinstance(value, bool):
        return None
    try:
        return valid_seconds(value)
    except ValueError:
        raise ValueError("a number of seconds greater than 0, or 0 for no limit") from None


def _parse_parameters(problems: Problems, table: dict[str, Any]) -> dict[str, Any]:
    values = checked_parameters(problems, "parameters.", table)
    if values is None:
        return {}
    system_prompt = values.pop("system_prompt", None)
    return {"parameters": ChatParams.create(**values), "system_prompt": system_prompt}


def _parse_timeouts(problems: Problems, table: dict[str, Any]) -> Timeouts | None:
    problems.unknown_keys("timeouts.", table, _TIMEOUT_KEYS)
    values = {
        key: problems.check(f"timeouts.{key}", table[key], _total_seconds if key == "total" else valid_seconds)
        for key in _TIMEOUT_KEYS
        if key in table
    }
    return None if INVALID in values.values() else Timeouts(**values)


def _parse_keymap(problems: Problems, table: dict[str, Any]) -> dict[str, str]:
    keymap: dict[str, str] = {}
    for binding, keys in table.items():
        if not binding.strip():
            problems.lines.append('keymap: expected binding ids such as "app.quit", got an empty key')
        elif isinstance(keys, str) and keys.strip():
            keymap[binding] = keys
        else:
            problems.lines.append(f'keymap.{binding}: expected keys such as "ctrl+q", got {show_value(keys)}')
    return keymap


_ENDPOINT_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "base_url": valid_base_url,
    "api_key_env": valid_env_name,
    "api_key_cmd": valid_optional_text,
    "api_key": valid_stored_key,
    "models": valid_models,
    "system_role": valid_system_role,
    "tools_file": valid_optional_text,
}


def _parse_endpoints(problems: Problems, table: dict[str, Any]) -> dict[str, EndpointConfig] | None:
    endpoints = {DEFAULT_ENDPOINT: BUILTIN_ENDPOINT}
    complete = True
    for name, body in table.items():
        prefix = f"endpoints.{name}"
        example = f'[endpoints.{name}] with base_url = "https://api.example.com/v1"'
        if problems.check(prefix, name, valid_endpoint_name) is INVALID:
            complete = False
            continue
        if problems.table(prefix, body, example) is None:
            complete = False
            continue
        problems.unknown_keys(prefix + ".", body, _ENDPOINT_KEYS)
        # [endpoints.toki] adjusts the built-in endpoint; every other endpoint starts from nothing.
        fields: dict[str, Any] = {}
        if name == DEFAULT_ENDPOINT:
            fields = {"base_url": BUILTIN_ENDPOINT.base_url, "api_key_env": BUILTIN_ENDPOINT.api_key_env}
        elif "base_url" not in body:
            problems.lines.append(f'{prefix}.base_url: missing; expected a URL such as "https://api.example.com/v1"')
            complete = False
        for key, validator in _ENDPOINT_VALIDATORS.items():
            if key in body:
                fields[key] = problems.check(f"{prefix}.{key}", body[key], validator)
        if not complete or INVALID in fields.values():
            complete = False
            continue
        if isinstance(fields.get("tools_file"), str):
            fields["tools"] = problems.tools(f"{prefix}.tools_file", fields["tools_file"])
        endpoints[name] = EndpointConfig(name=name, **fields)
    return endpoints if complete else None


def _presets(table: object, path: Path | None, endpoints: Collection[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The presets of the `[presets]` table and the presets folder (preset_loading.py), loaded only when there is
    one of them: most runs have neither, and `toki ask` starts without importing what reads them."""
    if table is None and (path is None or not (path.parent / PRESETS_FOLDER).is_dir()):
        return {}, {}
    from toki_tui.core.config.preset_loading import load_presets

    return load_presets(table, path, endpoints)


def config_from_toml(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Check a parsed TOML document and build the Config; raises one ConfigError listing every problem."""
    problems = Problems(path)
    problems.unknown_keys("", data, _TOP_KEYS)
    values: dict[str, Any] = {}
    for key in ("default_endpoint", "default_model", "theme", "tools_file"):
        if key in data:
            values[key] = problems.check(key, data[key], valid_text)
    if isinstance(values.get("tools_file"), str):
        values["tools"] = problems.tools("tools_file", values["tools_file"])
    if "parameters" in data and (table := problems.table("parameters", data["parameters"], "[parameters]")):
        values.update(_parse_parameters(problems, table))
    if "timeouts" in data and (table := problems.table("timeouts", data["timeouts"], "[timeouts]")):
        values["timeouts"] = _parse_timeouts(problems, table)
    if "keymap" in data and (table := problems.table("keymap", data["keymap"], "[keymap]")):
        values["keymap"] = _parse_keymap(problems, table)
    if "tool_commands" in data:
        values["tool_commands"] = problems.check("tool_commands", data["tool_commands"], valid_tool_commands)
    if "mcp_servers" in data and (table := problems.table("mcp_servers", data["mcp_servers"], "[mcp_servers.files]")):
        values["mcp_servers"], found = parse_mcp_servers(table)
        problems.lines.extend(found)
    if "models" in data and (table := problems.table("models", data["models"], '[models."ID"]')):
        values["model_prices"] = parse_model_prices(problems, table)
    if "budget_per_day" in data:
        values["budget_per_day"] = problems.check("budget_per_day", data["budget_per_day"], valid_budget)
    endpoints: dict[str, EndpointConfig] | None = {DEFAULT_ENDPOINT: BUILTIN_ENDPOINT}
    if "endpoints" in data and (table := problems.table("endpoints", data["endpoints"], "[endpoints.work]")):
        endpoints = _parse_endpoints(problems, table)
    default_endpoint = values.get("default_endpoint", DEFAULT_ENDPOINT)
    if endpoints is not None and default_endpoint is not INVALID and default_endpoint not in endpoints:
        problems.lines.append(
            f"default_endpoint: expected the name of an endpoint ({', '.join(endpoints)}), "
            f"got {show_value(default_endpoint)}; define it as an [endpoints.{default_endpoint}] table"
        )
    problems.raise_if_any()
    values["presets"], values["preset_problems"] = _presets(data.get("presets"), path, endpoints or {})
    try:
        return Config(**values, endpoints=endpoints or {}, source=path)
    except ConfigError as error:  # the checks above are the dataclasses' own, so this is a safety net
        raise ConfigError(f"{problems.where}: {error}") from None


def folder_problem(path: Path) -> str | None:
    """When a folder on the way to `path` is a file (a stray `~/.config/toki` file), say so and what to do."""
    for folder in path.parents:
        if folder.exists():
            if folder.is_dir():
                return None
            return (
                f"the config folder {folder} is a file, not a folder; move it aside, or set TOKI_CONFIG_DIR to "
                "another folder"
            )
    return None


def read_config_text(path: Path) -> str | None:
    """The text of the config file, without a BOM; None when it does not exist. Raises ConfigError when it
    cannot be read or is not UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except NotADirectoryError as error:
        raise ConfigError(folder_problem(path) or f"{path}: cannot be read ({error.strerror})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error}); expected a TOML file") from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")  # a BOM, as some Windows editors write
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text; expected a UTF-8 TOML file") from None


def load_config(path: Path) -> Config:
    """The config in `path`; the defaults when the file does not exist. Raises ConfigError on any problem."""
    text = read_config_text(path)
    if text is None:  # the defaults, and the presets folder's files (a folder may come without a config file)
        presets, problems = _presets(None, path, (DEFAULT_ENDPOINT,))
        return Config(presets=presets, preset_problems=problems) if presets or problems else Config()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(describe_toml_error(path, error)) from None
    return config_from_toml(data, path)
