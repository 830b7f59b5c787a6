"""Loading presets: the config's `[presets.NAME]` tables and the `NAME.toml` files of the presets folder next to
it (same shape as a table). Each preset is checked on its own with the config's own checks (validators.py,
parameters_table.py): a bad one is left out with one message naming its file and each field, and the others
still load. A name defined in both places is the config's table; the file is reported as a problem.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from toki_tui.core.config.parameters_table import checked_parameters
from toki_tui.core.config.paths import PRESETS_FOLDER
from toki_tui.core.config.presets import PRESET_KEYS, Preset, valid_preset_name
from toki_tui.core.config.problems import INVALID, Problems, describe_toml_error
from toki_tui.core.config.validators import (
    show_value,
    valid_endpoint_name,
    valid_flag,
    valid_preset_system_prompt,
    valid_system_role,
    valid_text,
)

MAX_PRESET_FILES = 1000
"""Preset files read from the folder (in name order); more are reported, not read: each start reads them all."""
PRESET_FILE_MAX_BYTES = 1024 * 1024
"""The largest preset file read: a system prompt of a few thousand words is a few tens of kilobytes."""

_SIMPLE_CHECKS = {
    "model": valid_text,
    "system_prompt": valid_preset_system_prompt,
    "system_role": valid_system_role,
    "json_mode": valid_flag,
    "tools_file": valid_text,
}


def presets_folder(config_path: Path) -> Path:
    return config_path.parent / PRESETS_FOLDER


def load_presets(
    table: object, config_path: Path | None, endpoints: Collection[str]
) -> tuple[dict[str, Preset], dict[str, str]]:
    """The presets of the config's `[presets]` table and of the presets folder next to `config_path`, and, by
    name, the problem of each one left out."""
    presets: dict[str, Preset] = {}
    problems: dict[str, str] = {}
    if table is not None:
        if not isinstance(table, dict):
            where = config_path if config_path is not None else "config"
            problems["presets"] = f"{where}: presets: expected tables such as [presets.short], got {show_value(table)}"
        else:
            for name, body in table.items():
                found = Problems(config_path)
                preset = _preset(found, f"presets.{name}", name, body, endpoints)
                _keep(preset, found, name, presets, problems)
    if config_path is not None:
        for path in _preset_files(presets_folder(config_path), problems):
            name = path.name.removesuffix(".toml")
            found = Problems(path)
            if name in presets or name in problems:
                found.lines.append(f"a preset named {name!r} is also in {config_path}, which is used; rename one")
                problems[f"{name} ({path.name})"] = found.message() or ""
                continue
            body = _read_preset_file(found, path)
            preset = None if body is None else _preset(found, "", name, body, endpoints, file=path)
            _keep(preset, found, name, presets, problems)
    return presets, problems


def _keep(
    preset: Preset | None, found: Problems, name: str, presets: dict[str, Preset], problems: dict[str, str]
) -> None:
    message = found.message()
    if preset is not None and message is None:
        presets[name] = preset
    else:
        problems[name] = message or f"{found.where}: the preset {name!r} cannot be used"


def _preset_files(folder: Path, problems: dict[str, str]) -> list[Path]:
    try:
        entries = sorted(entry for entry in folder.iterdir() if entry.name.endswith(".toml"))
    except FileNotFoundError:
        return []
    except OSError as error:
        problems[PRESETS_FOLDER] = f"{folder}: cannot be read ({error.strerror or error}); no preset file was loaded"
        return []
    if len(entries) > MAX_PRESET_FILES:
        problems[PRESETS_FOLDER] = (
            f"{folder}: {len(entries)} preset files; only the first {MAX_PRESET_FILES} (by name) were read"
        )
    return entries[:MAX_PRESET_FILES]


def _read_preset_file(found: Problems, path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as file:
            raw = file.read(PRESET_FILE_MAX_BYTES + 1)
    except OSError as error:
        found.lines.append(f"cannot be read ({error.strerror or error})")
        return None
    if len(raw) > PRESET_FILE_MAX_BYTES:
        found.lines.append(f"larger than {PRESET_FILE_MAX_BYTES // 1024} KB; expected a short TOML file")
        return None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        found.lines.append(f"line {line}: not UTF-8 text; expected a UTF-8 TOML file")
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found.lines.append(describe_toml_error(path, error).removeprefix(f"{path}: "))
        return None


def _preset(
    found: Problems,
    prefix: str,
    name: str,
    body: object,
    endpoints: Collection[str],
    *,
    file: Path | None = None,
) -> Preset | None:
    """One preset checked; None after recording its problems. `prefix` names its table ("" for a file)."""
    dot = prefix + "." if prefix else ""
    if found.check(prefix or "file name", name, valid_preset_name) is INVALID:
        return None
    table = found.table(prefix or "file", body, f"[presets.{name}] with model = ...")
    if table is None:
        return None
    found.unknown_keys(dot, table, PRESET_KEYS)
    values: dict[str, Any] = {
        key: found.check(dot + key, table[key], check) for key, check in _SIMPLE_CHECKS.items() if key in table
    }
    if "endpoint" in table:
        values["endpoint"] = found.check(dot + "endpoint", table["endpoint"], _known_endpoint(endpoints))
    if (
        "parameters" in table
        and (parameters := found.table(dot + "parameters", table["parameters"], "[parameters]")) is not None
    ):
        checked = checked_parameters(found, dot + "parameters.", parameters)
        for key in ("system_prompt", "json_mode"):
            if checked is not None and key in checked:
                if key in values:
                    found.lines.append(f"{dot}{key}: set both here and in {dot}parameters; keep one")
                values[key] = checked.pop(key)
        values["parameters"] = checked if checked is not None else INVALID
    if found.lines or INVALID in values.values():
        return None
    if isinstance(values.get("tools_file"), str):
        values["tools"] = found.tools(dot + "tools_file", values["tools_file"])
        if values["tools"] is None:
            return None
    return Preset(name=name, file=file, **values)


def _known_endpoint(endpoints: Collection[str]) -> Any:
    def check(value: object) -> str:
        name = valid_endpoint_name(value)
        if name not in endpoints:
            raise ValueError(f"the name of an endpoint of the config ({', '.join(sorted(endpoints))})")
        return name

    return check


def preset_problem_lines(problems: Mapping[str, str]) -> list[str]:
    """Each problem as it is reported: at start-up (stderr, a notification) and by `toki config show`."""
    return [f"preset left out: {message}" for message in problems.values()]
