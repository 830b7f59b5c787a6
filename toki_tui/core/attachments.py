"""Files attached to a user message: reading and checking them, and turning them into Chat Completions content parts.

An image (PNG, JPEG, WebP, GIF, recognised by its first bytes, never by its name) is sent as an `image_url` part
holding a base64 data URL; a text file (valid UTF-8 without NUL bytes) as a `text` part that names it. Anything
else is refused before a request is made, with one error saying what and what to do.

A message keeps its attachments as records (`to_record`): the message's `content` stays the text the user typed
(what search indexes and the transcript shows), and the parts are built from the records each time the message is
sent, so a message sent again as context carries exactly what it carried the first time.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from toki_tui.core.errors import TokiError
from toki_tui.core.text import displayable_line
from toki_tui.core.text_input import without_surrogates

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The largest image attached: the size OpenAI's API accepts per image; a larger one would only be refused by the
server after the upload (base64 makes it a third larger again)."""

MAX_TEXT_BYTES = 1024 * 1024
"""The largest text file attached: about 250,000 tokens, beyond most models' whole context; a bigger file is almost
certainly a log or a data dump better cut down first."""

STDIN_NAME = "stdin"
"""The name an attachment read from standard input (`--attach -`) goes by."""

AttachmentKind = Literal["image", "text"]

# The first bytes of each image format toki sends, and its media type.
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class AttachmentError(TokiError):
    """A file cannot be attached; nothing was sent."""


@dataclass(frozen=True)
class Attachment:
    name: str
    """The file's name (no folder): outside text, shown only through the display boundary."""
    kind: AttachmentKind
    size: int
    """Bytes of the file as read."""
    media_type: str
    data: str
    """For an image, its bytes in base64; for a text file, its text."""

    def to_part(self) -> dict[str, Any]:
        """The content part sent for this file."""
        if self.kind == "image":
            return {"type": "image_url", "image_url": {"url": f"data:{self.media_type};base64,{self.data}"}}
        fence = text_fence(self.data)
        return {"type": "text", "text": f"File: {self.name}\n{fence}\n{self.data}\n{fence}"}

    def to_record(self) -> dict[str, Any]:
        """The attachment as JSON for the history and exports (read back by `attachment_from_record`)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "media_type": self.media_type,
            "data": self.data,
        }


def image_media_type(data: bytes) -> str | None:
    """The media type of an image format toki sends, from the file's first bytes; None for anything else."""
    for signature, media_type in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def attachment_label(attachment: Attachment) -> str:
    """How a file is named on screen: "photo.png · image · 3.4 KB", the name made displayable on one line (a line
    break in it could forge a line of the conversation)."""
    return f"{displayable_line(attachment.name)} · {attachment.kind} · {describe_size(attachment.size)}"


def describe_size(size: int) -> str:
    """A byte count for people: "812 B", "3.4 KB", "12.0 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def text_fence(text: str) -> str:
    """The backtick fence around a text file's content: longer than any run of backticks in it (at least three,
    as Markdown wants), so a Markdown file's own code blocks cannot close it early and spill the rest of the file
    out of the block the model reads as the file."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _sizes_apart(size: int, limit: int) -> tuple[str, str]:
    """The size and the limit for a message, in bytes when rounding would show them equal ("1.0 MB over 1.0 MB")."""
    shown, shown_limit = describe_size(size), describe_size(limit)
    if shown == shown_limit:
        return f"{size:,} bytes", f"{limit:,} bytes"
    return shown, shown_limit


def _too_big(name: str, what: str, size: int, limit: int) -> AttachmentError:
    shown, shown_limit = _sizes_apart(size, limit)
    return AttachmentError(
        f"cannot attach {name}: the {what} is {shown}, over toki's limit of {shown_limit} "
        f"for {what}s; attach a smaller {'or compressed ' if what == 'image' else 'excerpt of the '}file"
    )


def attachment_from_bytes(name: str, data: bytes) -> Attachment:
    """Check and wrap a file's bytes. Raises AttachmentError for a kind toki cannot send or a size over the limit."""
    media_type = image_media_type(data)
    if media_type is not None:
        if len(data) > MAX_IMAGE_BYTES:
            raise _too_big(name, "image", len(data), MAX_IMAGE_BYTES)
        return Attachment(name, "image", len(data), media_type, base64.b64encode(data).decode("ascii"))
    if len(data) > MAX_TEXT_BYTES:
        raise _too_big(name, "text file", len(data), MAX_TEXT_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise AttachmentError(
            f"cannot attach {name}: it is neither a PNG, JPEG, WebP or GIF image nor UTF-8 text; "
            "convert it to one of those first"
        )
    return Attachment(name, "text", len(data), "text/plain", text)


def typed_path(text: str) -> Path:
    """A path as typed or dropped onto the terminal (`/attach PATH`): as it is when that file exists, else without
    the quotes or backslash escapes a terminal adds to a file dragged onto it ('/home/me/my file.png',
    /Users/me/my\\ file.png). `~` is the home folder."""
    literal = Path(os.path.expanduser(text))
    stripped = text.strip()
    if literal.exists() or not stripped:
        return literal
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return Path(os.path.expanduser(stripped[1:-1]))
    return Path(os.path.expanduser(re.sub(r"\\(.)", r"\1", stripped)))


def read_attachment(path: Path) -> Attachment:
    """Read a file to attach. Raises AttachmentError (missing, a folder, unreadable, wrong kind, too big); the size
    is checked before the file is read, so a huge file is never loaded."""
    # A name that is not UTF-8 holds lone surrogates, which neither the request's JSON nor the history can encode.
    name = without_surrogates(path.name or str(path))
    if not path.exists():
        raise AttachmentError(f"cannot attach {path}: there is no such file; check the path")
    if path.is_dir():
        raise AttachmentError(f"cannot attach {path}: it is a folder; attach the files in it one by one")
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            is_image = image_media_type(file.read(16)) is not None
        what, limit = ("image", MAX_IMAGE_BYTES) if is_image else ("text file", MAX_TEXT_BYTES)
        if size > limit:
            raise _too_big(name, what, size, limit)
        data = path.read_bytes()
    except OSError as error:
        raise AttachmentError(f"cannot attach {path}: {error.strerror or error}; check its permissions") from error
    return attachment_from_bytes(name, data)


def attachment_from_record(record: object) -> Attachment | None:
    """An Attachment from its stored JSON; None for a record that is damaged (it is left out, not fatal)."""
    if not isinstance(record, dict):
        return None
    name, kind, size = record.get("name"), record.get("kind"), record.get("size")
    media_type, data = record.get("media_type"), record.get("data")
    if not isinstance(name, str) or not isinstance(media_type, str) or not isinstance(data, str):
        return None
    if kind not in ("image", "text") or not isinstance(size, int) or isinstance(size, bool):
        return None
    if kind == "image":
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
    return Attachment(name, kind, size, media_type, data)


def attachments_from_records(records: object) -> tuple[Attachment, ...]:
    """The attachments of a stored message's JSON list (damaged entries left out)."""
    if not isinstance(records, list):
        return ()
    found = (attachment_from_record(record) for record in records)
    return tuple(attachment for attachment in found if attachment is not None)


def records_of(attachments: Iterable[Attachment]) -> list[dict[str, Any]] | None:
    """The JSON list stored with a message; None when it has no attachments (the column stays NULL)."""
    records = [attachment.to_record() for attachment in attachments]
    return records or None


def message_content(text: str, attachments: Sequence[Attachment]) -> str | list[dict[str, Any]]:
    """A user message's `content`: its text alone, or with attachments a list of parts (the text first)."""
    if not attachments:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    parts.extend(attachment.to_part() for attachment in attachments)
    return parts
