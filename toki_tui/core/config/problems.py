"""Every problem found in one config file (config.toml, or a preset file), collected and reported together.

The loader checks each key with the validators of validators.py through `Problems.check`, which records a bad
value (never echoing a secret) and goes on, so one ConfigError names every problem of the file at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from toki_tui.core.config.validators import show_value
from toki_tui.core.errors import ConfigError
from toki_tui.core.tools_file import ToolsError, read_tools_file

INVALID: Any = object()
"""What `Problems.check` returns for a value it recorded as a problem."""
SECRET_KEYS = frozenset({"api_key", "api_key_env", "api_key_cmd"})
_TOML_FORM = 'lines such as key = "text", key = 0.7, key = true, or a [table] header'
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


class Problems:
    """Every problem found in one file, reported together as one ConfigError."""

    def __init__(self, path: Path | None) -> None:
        self.where = str(path) if path is not None else "config"
        self.path = path
        self.lines: list[str] = []

    def check(self, key: str, value: object, validator: Callable[[Any], Any]) -> Any:
        """validator(value), or INVALID after recording the problem (never echoing a secret)."""
        try:
            return validator(value)
        except ValueError as error:
            secret = key.rsplit(".", 1)[-1] in SECRET_KEYS
            shown = "a value not shown here (it may be a key)" if secret else show_value(value)
            self.lines.append(f"{key}: expected {error}, got {shown}")
            return INVALID

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

    def tools(self, key: str, name: str) -> tuple[dict[str, Any], ...] | None:
        """The tools of a `tools_file` (relative to this file's folder), or None after recording why not."""
        path = Path(name).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        try:
            return read_tools_file(path)
        except ToolsError as error:
            self.lines.append(f"{key}: {error}")
            return None

    def message(self) -> str | None:
        """The problems as one message naming the file, or None when there are none."""
        if len(self.lines) == 1:
            return f"{self.where}: {self.lines[0]}"
        if self.lines:
            listed = "\n".join(f"  {line}" for line in self.lines)
            return f"{self.where}: {len(self.lines)} problems:\n{listed}"
        return None

    def raise_if_any(self) -> None:
        message = self.message()
        if message is not None:
            raise ConfigError(message)


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
