"""Writing a conversation's export to a file from the TUI: the default file name and the atomic write.

The name comes from the conversation's title, which is outside text (a model may have written it): it is cut to
a safe file name, so no title can reach another folder ("../"), hide the file (a leading dot), name a device
(NUL on Windows) or carry control characters into a terminal that lists the folder.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from toki_tui.core.errors import TokiError

EXPORT_NAME_MAX_CHARS = 80
"""A file name from a long title is cut here: a name stays readable in a listing, and far below the 255 bytes
most file systems allow even when every character takes 3 bytes of UTF-8."""

EXPORT_FORMATS = {"md": ".md", "json": ".json"}

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


class ExportError(TokiError):
    """The export could not be written; the message names the file and says why."""


def safe_file_stem(title: str) -> str:
    """`title` as a file name without extension: letters, digits, spaces turned to "-", nothing a file system or a
    shell treats specially; "conversation" when nothing usable is left."""
    text = "".join(
        ch for ch in unicodedata.normalize("NFC", title) if unicodedata.category(ch)[0] not in "CZ" or ch == " "
    )
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"\s+", "-", text.strip())
    text = re.sub(r"-{2,}", "-", text).strip("-.")
    text = text[:EXPORT_NAME_MAX_CHARS].rstrip("-.")
    if not text or text.lower() in _WINDOWS_DEVICES:
        return "conversation"
    return text


def default_export_path(title: str, export_format: str, folder: Path) -> Path:
    return folder / (safe_file_stem(title) + EXPORT_FORMATS[export_format])


def export_target(path: str | None, title: str, export_format: str, cwd: Path) -> Path:
    """Where `/export FORMAT [PATH]` writes: PATH, or a file named after the title in the current folder; a PATH
    that is a folder (or ends with "/") gets that file name inside it, as `cp` does (it used to be offered for
    replacing, then refused as a folder)."""
    if not path:
        return default_export_path(title, export_format, cwd)
    target = Path(path).expanduser()
    if path.endswith(("/", os.sep)) or target.is_dir():
        return default_export_path(title, export_format, target)
    return target


def write_export(path: Path, text: str, *, overwrite: bool) -> Path:
    """Write `text` to `path` atomically (a temporary file beside it, then a rename: an interrupted write never
    leaves half a file). Refuses to replace an existing file unless `overwrite`. Returns the absolute path."""
    path = path.expanduser().absolute()
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise ExportError(f"{path} already exists")
    folder = path.parent
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise ExportError(f"cannot write in {folder}: {error.strerror or error}") from error
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
