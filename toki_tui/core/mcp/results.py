"""A tool call's outcome as the text of its `tool` message: what the server answered, or what went wrong.

Every outcome becomes a text, so each call gets exactly one `tool` message and the history stays valid: text
parts as they are; images, audio and resources by their kind and name (their data is not sent on); an error
result, a timeout, a crash or a declined call as a sentence saying so. The text is untrusted (it came from the
server): it is stored and sent, and shown only through the display boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MCP_RESULT_MAX_CHARS = 100_000
"""The most of a result sent to the model; more is cut with a note. Every later request carries the result."""

DECLINED_TEXT = "The user declined to run this tool call."
SERVER_OFF_TEXT = "This tool is switched off for this conversation; the call was not run."


def content_text(parts: Iterable[Any]) -> str:
    """The content parts of a CallToolResult as text (duck-typed on their `type`, so no SDK import is needed)."""
    lines: list[str] = []
    for part in parts:
        kind = getattr(part, "type", None)
        if kind == "text":
            lines.append(str(getattr(part, "text", "")))
        elif kind in ("image", "audio"):
            data = str(getattr(part, "data", "") or "")
            size = len(data) * 3 // 4 - data[-2:].count("=")  # base64's length, without decoding it
            lines.append(f"[{kind}: {getattr(part, 'mime_type', None) or 'unknown type'}, {size} bytes]")
        elif kind == "resource_link":
            lines.append(f"[resource link: {getattr(part, 'name', '')} {getattr(part, 'uri', '')}]")
        elif kind == "resource":
            resource = getattr(part, "resource", None)
            uri, mime = getattr(resource, "uri", ""), getattr(resource, "mime_type", None) or "unknown type"
            text = getattr(resource, "text", None)
            lines.append(f"[resource: {uri} ({mime})]" + (f"\n{text}" if isinstance(text, str) else ""))
        else:
            lines.append(f"[{kind or 'unknown'} content]")
    return "\n".join(lines)


def result_text(parts: Iterable[Any], *, is_error: bool, structured: object = None) -> str:
    """The `tool` message for a result: its content (or its structured content when it has no parts), with an
    error result saying so, cut at MCP_RESULT_MAX_CHARS."""
    text = content_text(parts)
    if not text and structured is not None:
        import json

        text = json.dumps(structured, ensure_ascii=False, default=str)
    if is_error:
        text = f"The tool reported an error:\n{text}" if text else "The tool reported an error (no details)."
    return cut(text)


def cut(text: str, limit: int = MCP_RESULT_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[result cut at {limit} characters of {len(text)}]"


def timed_out_text(seconds: float) -> str:
    return f"The tool did not answer within {seconds:g} s; the call was given up."


def failed_text(server: str, reason: str) -> str:
    return cut(f"The tool could not be run: the MCP server {server!r} {reason}.")
