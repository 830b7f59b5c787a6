"""Read an HTTP error response into an APIStatusError, and decide whether and when to retry.

Servers disagree on error bodies (docs/protocol.md §1.3, §5, §6.19–20): `{"error": {...}}` with or without `type`,
`{"error": "string"}`, `{"message": ...}`, FastAPI's `{"detail": ...}`, an HTML page from a proxy, or nothing.
Retry-After may be seconds, a float, an HTTP date, `retry-after-ms`, absent, or too long to wait for.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import time
import urllib.parse
from collections.abc import Mapping

from toki_tui.core.api.chunks import excerpt
from toki_tui.core.api.json_limits import loads
from toki_tui.core.errors import APIStatusError, is_out_of_quota

#: Statuses worth retrying, and only before any content arrived (docs/protocol.md §5.3).
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
#: The longest server-requested wait toki honours automatically; longer ones are reported instead.
MAX_RETRY_AFTER = 120.0
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, or None when it does not say (or says something unreadable)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.timestamp() - (time.time() if now is None else now)


def summarise_non_json(body: bytes, content_type: str, page: str = "an HTML error page") -> str:
    """A body that is not JSON in a few words: an HTML page by its title (`page: title`), anything else as an
    excerpt."""
    import html  # only for an HTML error page: kept off the start-up path

    if not body.strip():
        return ""
    if "html" in content_type or body.lstrip()[:1] == b"<":
        match = _TITLE.search(body)
        if match:
            title = html.unescape(match.group(1).decode("utf-8", "replace"))
            return f"{page}: {excerpt(title, 120)}"
        text = html.unescape(_TAGS.sub(" ", body.decode("utf-8", "replace")))
        return f"{page}: {excerpt(text, 120)}"
    return excerpt(body.decode("utf-8", "replace"))


def status_error(status: int, body: bytes, headers: Mapping[str, str], *, advice: str | None = None) -> APIStatusError:
    """Build the error for a failed response from its status, body and headers (`advice`: see APIStatusError)."""
    content_type = headers.get("content-type", "")
    message = ""
    code: str | None = None
    error_type: str | None = None
    try:
        parsed = loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        parsed = None
        message = summarise_non_json(body, content_type)
    if isinstance(parsed, dict) and "error" not in parsed and "message" not in parsed and "detail" in parsed:
        message = _fastapi_detail(parsed["detail"])  # FastAPI servers (vLLM's router, LiteLLM): §6.19
    elif isinstance(parsed, dict):
        error = parsed.get("error", parsed)
        if isinstance(error, dict):
            raw_message = error.get("message")
            message = raw_message if isinstance(raw_message, str) else excerpt(json.dumps(error))
            code = str(error["code"]) if error.get("code") is not None else None
            error_type = error.get("type") if isinstance(error.get("type"), str) else None
        elif isinstance(error, str):
            message = error
        else:
            message = excerpt(json.dumps(parsed))
    elif parsed is not None:
        message = excerpt(json.dumps(parsed))
    return APIStatusError(
        status,
        excerpt(message, 300),
        code=code,
        error_type=error_type,
        retry_after=parse_retry_after(headers),
        request_id=headers.get("x-request-id") or headers.get("x-generation-id"),
        advice=advice,
    )


def _wrong_key_advice(key_source: str) -> str:
    if key_source == "config file":
        return (
            "the API key saved in the config file (api_key) is wrong, disabled or expired; replace it there, or "
            "delete that line and start toki again to be asked for a key"
        )
    return f"the API key from {excerpt(key_source, 80)} is wrong, disabled or expired; check the key it gives"


_VERSION_SEGMENT = re.compile(r"v\d+[a-z0-9]*", re.IGNORECASE)
"""A path segment of a base URL that names an API version: v1, v1beta, v4 (docs/protocol.md §6.28)."""


def endpoint_error(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    base_url: str,
    request_url: str,
    requested: str,
    key_sent: bool = True,
    key_source: str | None = None,
) -> APIStatusError:
    """The error for a failed response, with advice about the base URL where the status points at it: a redirect
    says where to (the base URL it implies, when the target keeps the requested path), a 404 from a base URL
    with no version segment anywhere in its path (Gemini's is /v1beta/openai) suggests adding /v1 (vLLM,
    llama.cpp, Ollama and LM Studio serve the API there).
    `requested` is the path toki asked for under the base URL ("chat/completions" or "models"). A 401 when no key
    was sent (`key_sent`: a key goes only to its own endpoint's host) says so instead of blaming the key; one with
    a key names where the key came from (`key_source`, ResolvedEndpoint.key_source), so the user knows what to fix."""
    advice = None
    if status == 401 and key_sent and key_source:
        return status_error(status, body, headers, advice=_wrong_key_advice(key_source))
    if status == 401 and not key_sent:
        host = urllib.parse.urlsplit(base_url).hostname or base_url
        advice = (
            f"the server wants an API key, and none was sent to {excerpt(host, 80)} (a key goes only to its own "
            "endpoint's host); add an endpoint with this base_url and api_key_env or api_key_cmd to the config, "
            "or set TOKI_BASE_URL next to TOKI_API_KEY"
        )
        return status_error(status, body, headers, advice=advice)
    if 300 <= status < 400:
        location = headers.get("location", "")
        target = urllib.parse.urljoin(request_url, location) if location else ""
        if not target:
            advice = "the server redirected without saying where to; check the base URL"
        elif urllib.parse.urlsplit(target).path.endswith("/" + requested):
            base = target.split("?", 1)[0][: -len(requested) - 1]
            advice = (
                f"the server redirected to {excerpt(target, 160)}; set the base URL to {excerpt(base, 160)} "
                "(toki does not follow redirects)"
            )
        else:
            advice = (
                f"the server redirected to {excerpt(target, 160)}; set the base URL to the final address "
                "(toki does not follow redirects)"
            )
        return status_error(status, b"", headers, advice=advice)
    segments = urllib.parse.urlsplit(base_url).path.split("/")
    if status == 404 and not any(_VERSION_SEGMENT.fullmatch(segment) for segment in segments):
        advice = (
            "not found; most OpenAI-compatible servers serve the API under /v1: "
            f"try the base URL {excerpt(base_url.rstrip('/') + '/v1', 160)}"
        )
    return status_error(status, body, headers, advice=advice)


def _fastapi_detail(detail: object) -> str:
    """FastAPI's `{"detail": ...}`: a string, or a list of validation errors each with `loc` and `msg`."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                location = item.get("loc")
                where = ".".join(str(part) for part in location) if isinstance(location, list) else ""
                parts.append(f"{where}: {item['msg']}" if where else item["msg"])
        if parts:
            return "; ".join(parts)
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    return excerpt(json.dumps(detail))


def should_retry(error: APIStatusError) -> bool:
    """Whether an error status is worth another attempt (before any content arrived)."""
    if error.status not in RETRYABLE_STATUSES and error.status < 500:
        return False
    if is_out_of_quota(error.status, error.server_message, error.code):
        return False
    return error.retry_after is None or error.retry_after <= MAX_RETRY_AFTER


def retry_delay(attempt: int, *, retry_after: float | None, status: int | None) -> float:
    """Seconds to wait before retry number `attempt` (0-based): the server's word if sane, else jittered backoff."""
    if retry_after is not None and 0 < retry_after <= MAX_RETRY_AFTER:
        return retry_after
    # TOKI's guide suggests 2^i s plus up to 1 s of jitter for 429; other failures back off from 0.5 s.
    base = 1.0 if status == 429 else 0.5
    return min(base * 2.0**attempt, 8.0) * (1.0 - 0.25 * random.random()) + (random.random() if status == 429 else 0.0)


def describe_exception(error: BaseException) -> str:
    """An exception in a few words for a message: its text, or its class name when it has none."""
    return excerpt(str(error) or type(error).__name__, 160)
