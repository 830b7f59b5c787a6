"""Why an MCP server failed, in a sentence for its state, its notification and the calls it could not answer.

The reasons quote outside text (the server's own error output, the SDK's and the HTTP client's errors): they are
shown only through the display boundary."""

from __future__ import annotations

STARTING_WORDS_LINES, LAST_WORDS_CHARS = 3, 300
"""How much of a server's error output a reason quotes, at most this many characters: a server that ends while
starting, its last lines (not just the last one, which is often a hint or the path of a log, as from uvx or npx,
while the error stands just above it); a server that ends once ready, its last line only (the lines before it are
usually its own logging of earlier requests)."""


GARBAGE_CHARS = 120
"""The most of a line that is not a protocol message a reason quotes."""


def last_words(stderr: bytes | bytearray, lines: int = 1) -> str:
    """The last `lines` lines of a server's error output, as " (LINE / LINE)", or "" when it wrote none."""
    written = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    words = " / ".join(written[-lines:])
    return f" ({words[-LAST_WORDS_CHARS:]})" if words else ""


def garbage_line(error: Exception) -> str:
    """The line a server wrote that is not JSON, quoted as ' ("LINE")', when the parser's error holds it (a
    pydantic ValidationError does): it says what went wrong, often a banner or a log line written to stdout."""
    errors = getattr(error, "errors", None)
    try:
        found = errors()[0].get("input") if callable(errors) else None
    except (TypeError, IndexError, AttributeError, ValueError):
        found = None
    if not isinstance(found, str) or not found.strip():
        return ""
    return f' ("{found.strip()[:GARBAGE_CHARS]}")'


def describe_failure(error: BaseException, *, stderr: bytes | bytearray, refusals: list[int], was_ready: bool) -> str:
    """Why a server's connection ended with `error`, while it was starting or once it was ready (then it did
    start: "failed to start" would send the user to a config that worked). `refusals`: a remote server's HTTP
    error statuses, which the SDK's own error does not name."""
    if isinstance(error, BaseExceptionGroup):
        first = error.exceptions[0] if error.exceptions else error
        return describe_failure(first, stderr=stderr, refusals=refusals, was_ready=was_ready)
    if isinstance(error, OSError) and not was_ready:
        command = f"{error.filename}: " if error.filename else ""
        return f"could not be started: {command}{error.strerror or error}"
    from toki_tui.core.errors import ConfigError

    if isinstance(error, ConfigError):
        return str(error)
    what = "lost its connection" if was_ready else "failed to start"
    if refusals:
        status = refusals[-1]
        advice = " (check its url and headers)" if status in (401, 403, 404) else ""
        return f"{what}: the server answered HTTP {status}{advice}"
    return f"{what}: {str(error) or type(error).__name__}" + last_words(
        stderr, 1 if was_ready else STARTING_WORDS_LINES
    )
