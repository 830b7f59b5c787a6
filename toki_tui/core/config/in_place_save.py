"""Saving the config by editing the user's own file: only the keys whose values changed are rewritten.

Why round-trip editing (tomlkit) rather than a separate state file toki owns: after "save as default", Ctrl+T or
the API key dialog, a user who opens config.toml expects to find the new value there, in the one file the README
and `toki config path` point at; a second file overriding it would make a value typed into config.toml silently
lose to an older one saved by the app. tomlkit is pure Python with no dependencies of its own, and is imported
only here, when saving (about 20 ms), never on `toki ask`'s start-up path or before the TUI's first frame.

The rules: the file is read and checked first, and one that toki cannot read (broken TOML, an unknown key, a bad
value) is never overwritten: the error names the file and the key and says nothing was saved. Only the values
that differ between `base` (what the caller loaded) and the new config are written, each in place, so comments,
key order, blank lines and hand edits made meanwhile to other keys survive. A value set back to "unset" (a
parameter left to the server, an endpoint's key removed) deletes its key. The result must read back as written
before it replaces the file, atomically and with mode 0600. Keys from the environment or api_key_cmd are never
written: only the fields of the Config, where a key is only ever one typed into the app.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toki_tui.core.config.config_file import config_from_toml, folder_problem, read_config_text
from toki_tui.core.config.model import BUILTIN_ENDPOINT, DEFAULT_ENDPOINT, Config, EndpointConfig
from toki_tui.core.config.parameters_table import PARAMETER_KEYS
from toki_tui.core.config.presets import Preset
from toki_tui.core.config.problems import describe_toml_error
from toki_tui.core.errors import ConfigError

if TYPE_CHECKING:
    from tomlkit import TOMLDocument
    from tomlkit.container import Container

KeyPath = tuple[str, ...]

NEW_FILE_HEADER = "# toki configuration. `toki config init` shows a commented example of every key.\n\n"
"""The first lines of a config file that toki creates (it keeps whatever a user's own file starts with)."""

_OLD_SAVED_HEADER = (
    "# toki configuration, saved by toki. Comments are not kept when toki saves this file (a hand-written file\n"
    "# with comments was kept as config.toml.bak); `toki config init` writes a commented example of every key.\n\n"
)
"""What older versions of toki put at the top of a file they rewrote; dropped on the next save, since it is no
longer true."""

_SUPER_TABLES = ("endpoints", "presets")
_ENDPOINT_FIELDS = ("base_url", "api_key_env", "api_key_cmd", "api_key", "models", "system_role")


def _endpoint_values(endpoint: EndpointConfig) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in _ENDPOINT_FIELDS:
        value = getattr(endpoint, key)
        if key == "models":
            value = list(value) or None
        elif key == "api_key_env" and value is None and endpoint.name == DEFAULT_ENDPOINT:
            value = ""  # the file's way to say "no variable": absent would bring back TOKI_API_KEY
        if value is not None:
            values[key] = value
    return values


def _flatten(config: Config) -> dict[KeyPath, Any]:
    """Every value of `config` as the TOML key path and value that would hold it; unset values are absent."""
    flat: dict[KeyPath, Any] = {(key,): getattr(config, key) for key in ("default_endpoint", "default_model", "theme")}
    for key, value in config.parameters.to_record().items():
        if key in PARAMETER_KEYS:
            flat["parameters", key] = value
    if config.system_prompt is not None:
        flat["parameters", "system_prompt"] = config.system_prompt
    for key in ("connect", "idle", "total"):
        if (value := getattr(config.timeouts, key)) is not None:
            flat["timeouts", key] = value
    for binding, keys in config.keymap.items():
        flat["keymap", binding] = keys
    for name, endpoint in config.endpoints.items():
        for key, value in _endpoint_values(endpoint).items():
            flat["endpoints", name, key] = value
    for name, preset in config.presets.items():
        if preset.file is None:  # a preset file of the presets folder is the user's own, never rewritten here
            for inner, value in _preset_values(preset).items():
                flat["presets", name, *inner] = value
    return flat


def _preset_values(preset: Preset) -> dict[KeyPath, Any]:
    values: dict[KeyPath, Any] = {}
    for key in ("model", "endpoint", "system_prompt", "system_role", "json_mode", "tools_file"):
        if (value := getattr(preset, key)) is not None:
            values[(key,)] = value
    for key, value in preset.parameters.items():
        values["parameters", key] = value
    return values


def changes_between(base: Config, config: Config, on_disk: Config) -> list[tuple[KeyPath, Any]]:
    """The edits that turn a file holding `base` into one holding `config`: (key path, new value), where None
    deletes the key (a whole `[endpoints.NAME]` table when that endpoint is gone). An endpoint that gets a new
    value but is not in the file (`on_disk`) yet is written whole, so its table is complete (base_url first)."""
    before, after = _flatten(base), _flatten(config)
    # The built-in endpoint's values are implied, so a file without [endpoints.toki] holds them already.
    for key, value in _endpoint_values(BUILTIN_ENDPOINT).items():
        before.setdefault(("endpoints", DEFAULT_ENDPOINT, key), value)
    removed = {name for name in base.endpoints if name not in config.endpoints}
    edits: dict[KeyPath, Any] = {("endpoints", name): None for name in removed}
    for path in [*after, *(path for path in before if path not in after)]:
        if before.get(path) != after.get(path) and not (path[0] == "endpoints" and path[1] in removed):
            if path[0] == "endpoints" and path[1] not in on_disk.endpoints and path[1] in config.endpoints:
                for key, value in _endpoint_values(config.endpoints[path[1]]).items():
                    edits.setdefault(("endpoints", path[1], key), value)
            edits[path] = after.get(path)
    return list(edits.items())


def _toml_value(value: Any) -> Any:
    import tomlkit

    if isinstance(value, str) and "\n" in value:
        return tomlkit.string(value, multiline=True)
    return value


def _apply(document: TOMLDocument, changes: list[tuple[KeyPath, Any]]) -> None:
    import tomlkit

    for path, value in changes:
        table: Container | Any = document
        for depth, key in enumerate(path[:-1]):
            if key not in table:
                if value is None:
                    break
                # [endpoints] and [presets] only hold NAME tables: a super table writes no header of its own.
                table[key] = tomlkit.table(is_super_table=depth == 0 and key in _SUPER_TABLES)
            table = table[key]
        else:
            if value is None:
                if path[-1] in table:
                    del table[path[-1]]
            else:
                table[path[-1]] = _toml_value(value)


def _drop_left_out_presets(document: TOMLDocument, base: Config, config: Config) -> None:
    """A preset saved under the name of a `[presets.NAME]` table that `base` lacks (one left out for a bad key)
    replaces that table whole: merged into it, the bad key would stay and the preset just saved stay unusable."""
    import tomlkit.items

    tables = document.get("presets")
    if not isinstance(tables, (tomlkit.items.Table, tomlkit.items.InlineTable)):
        return
    for name, preset in config.presets.items():
        if preset.file is None and name not in base.presets and name in tables:
            del tables[name]


def _read_back(text: str, path: Path, changes: list[tuple[KeyPath, Any]]) -> None:
    """Refuse to write a document toki could not read, or one that does not hold the values just set."""
    data = tomllib.loads(text)
    config_from_toml(data, path)
    for keys, value in changes:
        found: Any = data
        for key in keys:
            found = found.get(key) if isinstance(found, dict) else None
        if found != value:
            raise ConfigError(f"{path}: {'.'.join(keys)} could not be saved in place; the file was not changed")


def save_config(config: Config, path: Path, *, base: Config | None = None) -> None:
    """Save `config` to `path` by editing the user's file in place: only what changed from `base` (by default,
    the file's own values) is written; comments, key order and formatting are kept. Atomic, mode 0600 (the
    folder is created 0700 if missing); a symlinked file is followed. Keys from the environment or api_key_cmd
    are never written. Raises ConfigError, leaving the file as it was, when the file cannot be read or checked
    (it is never overwritten then) or cannot be written. The rules and the why are in this module's docstring.
    """
    problem = folder_problem(path)
    if problem is not None:
        raise ConfigError(f"could not save the config: {problem}")
    save_config_file(config, path, base)


def save_config_file(config: Config, path: Path, base: Config | None = None) -> None:
    """Write what changed from `base` to `config` into the file at `path` (see the module docstring).

    `base` is the config the caller loaded (the app passes the one it runs with); by default the file's own
    values. Raises ConfigError, leaving the file as it was, when the file cannot be read, parsed or checked, or
    the new file cannot be written.
    """
    original = read_config_text(path)
    text = NEW_FILE_HEADER if original is None else original.removeprefix(_OLD_SAVED_HEADER)
    refusal = "; the config was not saved: fix the file (or move it away), then save again"
    try:
        on_disk = config_from_toml(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(describe_toml_error(path, error) + refusal) from None
    except ConfigError as error:
        raise ConfigError(f"{error}{refusal}") from None
    changes = changes_between(base if base is not None else on_disk, config, on_disk)
    if not changes and text == original:
        return  # nothing to write: the file stays byte for byte, mode included

    import tomlkit  # only when saving: keeps it off `toki ask`'s start-up path and the TUI's first frame

    document = tomlkit.parse(text)
    _drop_left_out_presets(document, base if base is not None else on_disk, config)
    _apply(document, changes)
    new_text = tomlkit.dumps(document)
    _read_back(new_text, path, changes)
    try:
        write_private_file(path, new_text.encode("utf-8"))
    except OSError as error:
        raise ConfigError(f"could not save the config to {path}: {error.strerror or error}") from None


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: a 0600 temporary file in the same folder, fsync, os.replace.

    Readers see the old file or the new one, never half of one; on any failure the temporary file is removed. A
    symlinked file (dotfile managers) is followed, so the link survives.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{target.name}.{os.urandom(6).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o600)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(descriptor, 0o600)  # exactly 0600, whatever the umask left
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort, since some systems cannot fsync a folder."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
