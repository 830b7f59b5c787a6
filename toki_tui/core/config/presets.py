"""Presets: a name for any of a system prompt (and its role), a model, an endpoint, parameters, JSON mode and a
tools file, applied together by `toki --preset NAME`, `toki ask -p NAME` and `/preset NAME` in the chat.

Precedence, the same on every surface: command-line flags, then the preset, then the environment (TOKI_MODEL,
TOKI_BASE_URL), then the config file's defaults. A preset sets only what it names; everything else keeps the value
it would have without it. Loading is in preset_loading.py; a preset that cannot be used is left out with its
problem kept in `Config.preset_problems`, so the others still load.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toki_tui.core.api.params import PARAMETER_RANGES, ChatParams
from toki_tui.core.config.validators import (
    check_fields,
    valid_optional_text,
    valid_preset_system_prompt,
    valid_system_role,
)
from toki_tui.core.errors import ConfigError

PRESET_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""A preset's name: letters, digits, '_' and '-', at most 64, starting with a letter or digit. It is the name of
its file in the presets folder, so it holds no '/', '.', space or control character on any platform, and it is a
bare TOML key (`[presets.NAME]` needs no quotes)."""
PRESET_KEYS = ("model", "endpoint", "system_prompt", "system_role", "json_mode", "tools_file", "parameters")
"""The keys a `[presets.NAME]` table (or a preset file) may hold."""


def valid_preset_name(value: object) -> str:
    if not isinstance(value, str) or not PRESET_NAME_PATTERN.fullmatch(value):
        raise ValueError("a name of at most 64 letters, digits, '_' and '-', such as short-answers")
    if value == "save":  # `/preset save NAME` saves one: a preset of that name could not be applied
        raise ValueError("a name other than 'save', which /preset save takes")
    return value


def _parameter_values(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or "system_prompt" in value:
        raise ValueError("a mapping of ChatParams fields to values (the system prompt is a field of its own)")
    try:
        ChatParams.create(**value)
    except ValueError as error:
        raise ValueError(str(error)) from None
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class Preset:
    """One preset, as a `[presets.NAME]` table of the config or a `NAME.toml` file in the presets folder."""

    name: str
    """The NAME of `[presets.NAME]`, or the preset file's name without `.toml`."""
    model: str | None = None
    """The model id to use, such as `"deepseek/deepseek-chat-v3"`."""
    endpoint: str | None = None
    """The NAME of an `[endpoints.NAME]` table (or "toki") to talk to."""
    system_prompt: str | None = None
    """The system prompt new messages are sent with (also accepted as `system_prompt` in its `[parameters]`); ""
    clears the one in force, None leaves it."""
    system_role: str | None = None
    """`"system"` or `"developer"`: the role the system prompt is sent as."""
    json_mode: bool | None = None
    """Ask for a JSON object reply (also accepted in its `[parameters]`)."""
    tools_file: str | None = None
    """A JSON file of tool definitions sent with each request; relative to the file the preset is in."""
    parameters: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The `[presets.NAME.parameters]` table, shaped like the config's `[parameters]`: only the values it sets."""
    tools: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)
    """The tools read from `tools_file` when the config was loaded (not a key of the file)."""
    file: Path | None = field(default=None, compare=False)
    """The preset file it came from; None for a `[presets.NAME]` table of the config (not a key of the file)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            {
                "name": valid_preset_name,
                "model": valid_optional_text,
                "endpoint": valid_optional_text,
                "system_prompt": valid_preset_system_prompt,
                "system_role": valid_system_role,
                "tools_file": valid_optional_text,
                "parameters": _parameter_values,
            },
        )
        if self.json_mode is not None and not isinstance(self.json_mode, bool):
            raise ConfigError("Preset.json_mode: expected true or false")

    def params_over(self, params: ChatParams) -> ChatParams:
        """`params` with what this preset sets put over them (flags go over the result)."""
        changes: dict[str, Any] = dict(self.parameters)
        if self.json_mode is not None:
            changes["json_mode"] = self.json_mode
        if self.system_role is not None:
            changes["system_role"] = self.system_role
        if self.tools is not None:
            changes["tools"] = self.tools
            choice = params.tool_choice
            if isinstance(choice, dict) and choice.get("function", {}).get("name") not in _tool_names(self.tools):
                changes["tool_choice"] = None  # it named a tool the preset's file does not have
        return params.replace(**changes)

    def describe(self) -> str:
        """What the preset sets, on one line, such as "model m/x, system prompt, temperature 0.2" (config values:
        the caller shows it as plain text)."""
        parts = [f"{key} {value}" for key in ("model", "endpoint") if (value := getattr(self, key)) is not None]
        if self.system_prompt == "":
            parts.append("no system prompt")
        elif self.system_prompt is not None:
            parts.append("system prompt" + (f" as {self.system_role}" if self.system_role else ""))
        elif self.system_role is not None:
            parts.append(f"system role {self.system_role}")
        if self.json_mode is not None:
            parts.append(f"JSON mode {'on' if self.json_mode else 'off'}")
        parts.extend(f"{key} {value}" for key, value in self.parameters.items())
        if self.tools_file is not None:
            parts.append(f"tools {self.tools_file}")
        return ", ".join(parts) or "nothing"


def preset_from_settings(
    name: str,
    *,
    model: str,
    endpoint: str | None,
    params: ChatParams,
    system_prompt: str | None,
    tools_file: str | None,
) -> Preset:
    """A preset holding a conversation's current settings ("save as preset"): its model, endpoint (None for one
    the config does not define), system prompt ("" for none) and its role, JSON mode, the parameters it sets, and
    the tools file its tools came from (None when there are none or the file is not known). Raises ConfigError for
    a name that breaks the name rule."""
    parameters: dict[str, Any] = {
        key: getattr(params, key) for key in PARAMETER_RANGES if getattr(params, key) is not None
    }
    if not params.stream:
        parameters["stream"] = False
    return Preset(
        name=name,
        model=model,
        endpoint=endpoint,
        system_prompt=system_prompt or "",  # none in force: applying the preset clears one, as it was
        system_role=params.system_role,
        json_mode=params.json_mode,
        tools_file=tools_file if params.tools is not None else None,
        parameters=parameters,
    )


def tools_file_path(preset: Preset, config_file: Path | None) -> str | None:
    """The preset's tools file as an absolute path (relative ones are relative to the file the preset is in)."""
    if preset.tools_file is None:
        return None
    path = Path(preset.tools_file).expanduser()
    home = preset.file if preset.file is not None else config_file
    return str(path if path.is_absolute() or home is None else home.parent / path)


def _tool_names(tools: tuple[dict[str, Any], ...]) -> list[object]:
    return [tool.get("function", {}).get("name") for tool in tools if isinstance(tool.get("function"), dict)]


def find_preset(presets: Mapping[str, Preset], problems: Mapping[str, str], name: str) -> Preset:
    """The preset called `name`, or a ConfigError saying why it cannot be used (its file's problem) or which
    presets there are."""
    if name in presets:
        return presets[name]
    if name in problems:
        raise ConfigError(f"the preset {name!r} cannot be used: {problems[name]}")
    known = ", ".join(sorted(presets)) or "none yet"
    raise ConfigError(
        f"unknown preset {name!r}; the presets are: {known} ([presets.NAME] tables in the config, or NAME.toml "
        "files in the presets folder next to it)"
    )
