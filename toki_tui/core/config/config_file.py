"""The config file (`toki config path` shows where): strict loading, saving that keeps the user's file, the API.

The dataclasses (with the reference documentation of every key) live in config_model.py and the precedence of
flags, environment and file, with the rule that keeps a key on its own host, in secrets.py; both are re-exported
here, so the rest of toki imports everything config-related from this module.

Saving edits the user's file in place (config_save.py).

Loading collects every problem (unknown key, wrong type, value out of range, bad URL) into one ConfigError naming
the file, each key and the expected form; broken TOML is reported with its line and column, never a traceback.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from toki_tui.core.api.params import PARAMETER_RANGES, ChatParams, ParameterError, check_parameter
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
    show_value,
    valid_base_url,
    valid_endpoint_name,
    valid_env_name,
    valid_models,
    valid_optional_text,
    valid_seconds,
    valid_stored_key,
    valid_system_prompt,
    valid_system_role,
    valid_text,
    valid_tool_commands,
    with_changes,
    with_endpoint,
)
from toki_tui.core.errors import ConfigError
from toki_tui.core.mcp.config import parse_mcp_servers
from toki_tui.core.tools_file import ToolsError, read_tools_file

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

_INVALID: Any = object()
_TOP_KEYS = (
    "default_endpoint", "default_model", "theme", "tools_file", "parameters", "keymap", "timeouts", "endpoints",
    "tool_commands", "mcp_servers",
)  # fmt: skip
PARAMETER_KEYS = (*PARAMETER_RANGES, "json_mode", "stream", "system_prompt")
_TIMEOUT_KEYS = ("connect", "idle", "total")
_ENDPOINT_KEYS = ("base_url", "api_key_env", "api_key_cmd", "api_key", "models", "system_role", "tools_file")
_SECRET_KEYS = frozenset({"api_key", "api_key_env", "api_key_cmd"})
_TOML_FORM = 'lines such as key = "text", key = 0.7, key = true, or a [table] header'
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


class _Problems:
    """Every problem found in one file, reported together as one ConfigError."""

    def __init__(self, path: Path | None) -> None:
        self.where = str(path) if path is not None else "config"
        self.path = path
        self.lines: list[str] = []

    def check(self, key: str, value: object, validator: Callable[[Any], Any]) -> Any:
        """validator(value), or _INVALID after recording the problem (never echoing a secret)."""
        try:
            return validator(value)
        except ValueError as error:
            secret = key.rsplit(".", 1)[-1] in _SECRET_KEYS
            shown = "a value not shown here (it may be a key)" if secret else show_value(value)
            self.lines.append(f"{key}: expected {error}, got {shown}")
            return _INVALID

    def table(self, key: str, value: object, example: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.lines.append(f"{key}: expected a table such as {example}, got {show_value(value)}")
            return None
        return value

    def unknown_keys(self, prefix: str, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in table:
            if key not in known:
                import difflib  # only on a bad key: keeps it off `toki ask`'s start-up path

                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                self.lines.append(f"{prefix}{key}: unknown key{hint}; expected one of {', '.join(known)}")

    def raise_if_any(self) -> None:
        if len(self.lines) == 1:
            raise ConfigError(f"{self.where}: {self.lines[0]}")
        if self.lines:
            listed = "\n".join(f"  {line}" for line in self.lines)
            raise ConfigError(f"{self.where}: {len(self.lines)} problems:\n{listed}")


def _parameter(name: str) -> Callable[[object], float | int]:
    allowed = PARAMETER_RANGES[name]

    def check(value: object) -> float | int:
        # check_parameter also accepts strings (for flags); in the file a number must be a TOML number.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(allowed.describe())
        try:
            return check_parameter(name, value)
        except ParameterError:
            raise ValueError(allowed.describe()) from None

    return check


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _total_seconds(value: object) -> float | None:
    if value == 0 and not isinstance(value, bool):
        return None
    try:
        return valid_seconds(value)
    except ValueError:
        raise ValueError("a number of seconds greater than 0, or 0 for no limit") from None


def _parse_parameters(problems: _Problems, table: dict[str, Any]) -> dict[str, Any]:
    problems.unknown_keys("parameters.", table, PARAMETER_KEYS)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in PARAMETER_RANGES:
            values[key] = problems.check(f"parameters.{key}", value, _parameter(key))
        elif key in ("json_mode", "stream"):
            values[key] = problems.check(f"parameters.{key}", value, _flag)
        elif key == "system_prompt":
            values[key] = problems.check("parameters.system_prompt", value, valid_system_prompt)
    if any(value is _INVALID for value in values.values()):
        return {}
    system_prompt = values.pop("system_prompt", None)
    return {"parameters": ChatParams.create(**values), "system_prompt": system_prompt}


def _parse_timeouts(problems: _Problems, table: dict[str, Any]) -> Timeouts | None:
    problems.unknown_keys("timeouts.", table, _TIMEOUT_KEYS)
    values = {
        key: problems.check(f"timeouts.{key}", table[key], _total_seconds if key == "total" else valid_seconds)
        for key in _TIMEOUT_KEYS
        if key in table
    }
    return None if _INVALID in values.values() else Timeouts(**values)


def _parse_keymap(problems: _Problems, table: dict[str, Any]) -> dict[str, str]:
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


def _parse_endpoints(problems: _Problems, table: dict[str, Any]) -> dict[str, EndpointConfig] | None:
    endpoints = {DEFAULT_ENDPOINT: BUILTIN_ENDPOINT}
    complete = True
    for name, body in table.items():
        prefix = f"endpoints.{name}"
        example = f'[endpoints.{name}] with base_url = "https://api.example.com/v1"'
        if problems.check(prefix, name, valid_endpoint_name) is _INVALID:
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
        if not complete or _INVALID in fields.values():
            complete = False
            continue
        if isinstance(fields.get("tools_file"), str):
            fields["tools"] = _tools(problems, f"{prefix}.tools_file", fields["tools_file"])
        endpoints[name] = EndpointConfig(name=name, **fields)
    return endpoints if complete else None


def _tools(problems: _Problems, key: str, name: str) -> tuple[dict[str, Any], ...] | None:
    """The tools of a `tools_file` (relative to the config file's folder), or None after recording why not."""
    path = Path(name).expanduser()
    if not path.is_absolute() and problems.path is not None:
        path = problems.path.parent / path
    try:
        return read_tools_file(path)
    except ToolsError as error:
        problems.lines.append(f"{key}: {error}")
        return None


def config_from_toml(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Check a parsed TOML document and build the Config; raises one ConfigError listing every problem."""
    problems = _Problems(path)
    problems.unknown_keys("", data, _TOP_KEYS)
    values: dict[str, Any] = {}
    for key in ("default_endpoint", "default_model", "theme", "tools_file"):
        if key in data:
            values[key] = problems.check(key, data[key], valid_text)
    if isinstance(values.get("tools_file"), str):
        values["tools"] = _tools(problems, "tools_file", values["tools_file"])
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
    endpoints: dict[str, EndpointConfig] | None = {DEFAULT_ENDPOINT: BUILTIN_ENDPOINT}
    if "endpoints" in data and (table := problems.table("endpoints", data["endpoints"], "[endpoints.work]")):
        endpoints = _parse_endpoints(problems, table)
    default_endpoint = values.get("default_endpoint", DEFAULT_ENDPOINT)
    if endpoints is not None and default_endpoint is not _INVALID and default_endpoint not in endpoints:
        problems.lines.append(
            f"default_endpoint: expected the name of an endpoint ({', '.join(endpoints)}), "
            f"got {show_value(default_endpoint)}; define it as an [endpoints.{default_endpoint}] table"
        )
    problems.raise_if_any()
    try:
        return Config(**values, endpoints=endpoints or {}, source=path)
    except ConfigError as error:  # the checks above are the dataclasses' own, so this is a safety net
        raise ConfigError(f"{problems.where}: {error}") from None


def describe_toml_error(path: Path, error: tomllib.TOMLDecodeError) -> str:
    # Python 3.14 gives msg/lineno/colno; 3.11 to 3.13 only put "(at line L, column C)" in the message.
    reason: str = getattr(error, "msg", None) or str(error)
    line: int | None = getattr(error, "lineno", None)
    column: int | None = getattr(error, "colno", None)
    position = _TOML_POSITION.search(reason)
    if position:
        reason = reason[: position.start()]
        if position.group(1):
            line, column = int(position.group(1)), int(position.group(2))
    where = f"line {line}, column {column}" if line is not None else "at the end of the file"
    return f"{path}: {where}: not valid TOML ({reason}); expected {_TOML_FORM}"


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
    if text is None:
        return Config()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(describe_toml_error(path, error)) from None
    return config_from_toml(data, path)
