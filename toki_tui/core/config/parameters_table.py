"""The `[parameters]` table, checked: the config's own and each preset's (`[presets.NAME.parameters]`) have the
same shape and go through these same checks, which are the request parameters' own (toki_tui.core.api.params)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toki_tui.core.api.params import PARAMETER_RANGES, ParameterError, check_parameter
from toki_tui.core.config.problems import INVALID, Problems
from toki_tui.core.config.validators import valid_flag, valid_preset_system_prompt

PARAMETER_KEYS = (*PARAMETER_RANGES, "json_mode", "stream", "system_prompt")
"""The keys a `[parameters]` table may hold."""


def valid_parameter(name: str) -> Callable[[object], float | int]:
    """The validator of one numeric parameter, as the file's loader wants it."""
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


def checked_parameters(problems: Problems, prefix: str, table: dict[str, Any]) -> dict[str, Any] | None:
    """The values a parameters table sets (`system_prompt` among them), each checked; None after recording the
    problems (`prefix` names the table in them, such as "parameters." or "presets.short.parameters.")."""
    problems.unknown_keys(prefix, table, PARAMETER_KEYS)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in PARAMETER_RANGES:
            values[key] = problems.check(prefix + key, value, valid_parameter(key))
        elif key in ("json_mode", "stream"):
            values[key] = problems.check(prefix + key, value, valid_flag)
        elif key == "system_prompt":
            values[key] = problems.check(prefix + key, value, valid_preset_system_prompt)  # "" kept: a preset clears
    if any(value is INVALID for value in values.values()) or set(table) - set(PARAMETER_KEYS):
        return None
    return values
