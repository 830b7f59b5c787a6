"""The config's value checks, shared by the dataclasses (toki_tui.core.config.model), the file loader
(config_file.py) and the presets (preset_loading.py), so each value is checked one way everywhere.

Validators return the cleaned value or raise ValueError holding the expected form; the loader adds the file and
key, the dataclasses their field name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from toki_tui.core.api.params import ParameterError, check_system_role
from toki_tui.core.config.base_url import check_base_url
from toki_tui.core.errors import ConfigError

ENDPOINT_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_TEXT = re.compile(r"[\x21-\x7e]+")


def valid_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value


def valid_optional_text(value: object) -> str | None:
    return None if value is None else valid_text(value)


def valid_system_prompt(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("a string")
    return value or None


def valid_preset_system_prompt(value: object) -> str | None:
    """A preset's system prompt: "" is kept, and means "none" (the preset clears the one in force)."""
    if value is not None and not isinstance(value, str):
        raise ValueError("a string")
    return value


def valid_system_role(value: object) -> str | None:
    if value is None:
        return None
    try:
        return check_system_role(value)
    except ParameterError:
        raise ValueError('"system" or "developer"') from None


def valid_endpoint_name(value: object) -> str:
    if not isinstance(value, str) or not ENDPOINT_NAME_PATTERN.fullmatch(value):
        raise ValueError("an endpoint name of letters, digits, '_', '.' and '-', such as work")
    return value


def valid_env_name(value: object) -> str | None:
    # "" says "no variable": how a file turns off TOKI_API_KEY for [endpoints.toki].
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise ValueError('the NAME of an environment variable such as "WORK_API_KEY", not the key itself')
    return value


def valid_stored_key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _KEY_TEXT.fullmatch(value):
        raise ValueError("a key without spaces or control characters")
    return value


def valid_base_url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("an http:// or https:// URL such as https://www.tokiai.ai/v1")
    return check_base_url(value)


def valid_models(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(m, str) and m.strip() for m in value):
        raise ValueError('an array of model ids such as ["deepseek/deepseek-chat-v3"]')
    return tuple(value)


def valid_seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise ValueError("a number of seconds greater than 0")
    return float(value)


def valid_optional_seconds(value: object) -> float | None:
    return None if value is None else valid_seconds(value)


def show_value(value: object) -> str:
    """A short form of a bad value for an error message."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str) and "://" in value and "@" in value:
        return "a URL with a user name or password (not shown)"
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 40 else text[:37] + "..."


def check_fields(owner: object, checks: Mapping[str, Callable[[Any], Any]]) -> None:
    """Run `checks` on a dataclass's fields, storing cleaned values; used by each __post_init__."""
    for name, validator in checks.items():
        value = getattr(owner, name)
        try:
            object.__setattr__(owner, name, validator(value))
        except ValueError as error:
            secret = name.startswith("api_key")
            shown = "a value not shown here (it may be a key)" if secret else show_value(value)
            raise ConfigError(f"{type(owner).__name__}.{name}: expected {error}, got {shown}") from None


def valid_keymap(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise ValueError('binding ids mapped to keys, such as "app.quit" = "ctrl+q"')
    return MappingProxyType(dict(value))


def valid_tool_commands(value: object) -> Mapping[str, tuple[str, ...]]:
    form = 'tool names mapped to commands as arrays, such as get_weather = ["/usr/local/bin/weather"]'
    if not isinstance(value, Mapping):
        raise ValueError(form)
    commands: dict[str, tuple[str, ...]] = {}
    for name, command in value.items():
        if not isinstance(name, str) or not isinstance(command, list | tuple) or not command:
            raise ValueError(form)
        if not all(isinstance(part, str) and part and "\0" not in part for part in command):
            raise ValueError(form)
        commands[name] = tuple(command)
    return MappingProxyType(commands)


def valid_flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value
