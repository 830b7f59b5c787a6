"""The API key out of server text: some servers and proxies quote the key they were sent in an error message
("Incorrect API key provided: sk-..."), and an error message is shown, saved with the reply in the history and
exported. The client replaces the key with a marker before such text becomes an error."""

from __future__ import annotations

from toki_tui.core.errors import StreamError

REDACTED = "[API key]"

# Shorter keys are placeholders for servers that need none ("ollama", "none", "sk-1"): replacing such a word
# everywhere would garble the message and protect nothing.
_SHORTEST_SECRET = 8


def _secret(api_key: str | None) -> str | None:
    return api_key if api_key is not None and len(api_key) >= _SHORTEST_SECRET else None


def redact_bytes(data: bytes, api_key: str | None) -> bytes:
    """`data` (an error body, a header) with every occurrence of `api_key` replaced by the marker."""
    secret = _secret(api_key)
    return data.replace(secret.encode(), REDACTED.encode()) if secret is not None and data else data


def redact_text(text: str, api_key: str | None) -> str:
    secret = _secret(api_key)
    return text.replace(secret, REDACTED) if secret is not None and text else text


def redact_stream_error(error: StreamError, api_key: str | None) -> StreamError:
    """`error` itself when it does not hold the key, else a copy with the key replaced everywhere."""
    secret = _secret(api_key)
    texts = (str(error), error.code or "", error.raw or "")
    if secret is None or not any(secret in text for text in texts):
        return error
    clean = StreamError(
        redact_text(str(error), secret),
        code=redact_text(error.code, secret) if error.code is not None else None,
        raw=redact_text(error.raw, secret) if error.raw is not None else None,
    )
    clean.pending_events = error.pending_events
    return clean
