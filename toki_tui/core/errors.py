"""The exceptions the core raises. Each message says what happened and what to do, and never holds a key."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toki_tui.core.api.events import StreamEvent


class TokiError(Exception):
    """Base of every error toki reports to the user as one readable line."""


class ConfigError(TokiError):
    """The config file, a flag or an environment variable holds something toki cannot use (exit code 2)."""


class MissingApiKeyError(ConfigError):
    """No API key is available for the chosen endpoint; raised before any request is made."""


class APIError(TokiError):
    """The server or the network failed the request."""

    retryable: bool = False


class APIStatusError(APIError):
    """The server answered with an HTTP error status.

    `message` is the server's own `error.message` when it sent one, else a short readable summary of the body.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        advice: str | None = None,
    ) -> None:
        """`advice` replaces the status's usual advice when the caller knows better (a redirect's target, a base
        URL missing its /v1)."""
        self.status = status
        self.server_message = message
        self.code = code
        self.error_type = error_type
        self.retry_after = retry_after
        self.request_id = request_id
        super().__init__(describe_status(status, message, code, advice))


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before a reply arrived."""

    retryable = True


class APICertificateError(APIConnectionError):
    """The server's TLS certificate could not be verified: trying again cannot help, so it is not retried."""

    retryable = False


class APITimeoutError(APIConnectionError):
    """Connecting took too long, or the server went quiet for longer than the idle timeout."""


class StreamError(APIError):
    """The stream broke after HTTP 200: an error event, malformed data, or a dropped connection.

    Whatever text arrived before the failure has already been yielded; the consumer keeps it.
    """

    def __init__(self, message: str, *, code: str | None = None, raw: str | None = None) -> None:
        self.code = code
        self.raw = raw
        # Events parsed from the same chunk as the error (e.g. OpenRouter's final chunk); the client yields
        # them before raising so no text is lost.
        self.pending_events: list[StreamEvent] = []
        super().__init__(message)


_STATUS_ADVICE: dict[int, str] = {
    400: "the request was rejected; check the model and parameters",
    401: (
        "the API key is missing, wrong, disabled or expired; "
        "check TOKI_API_KEY or the endpoint's api_key_env / api_key_cmd"
    ),
    402: "the account balance or quota is exhausted; top up or raise the key's quota in the console",
    403: (
        "the key is not allowed to do this, or its quota is used up; "
        "check the key's permissions and quota in the console"
    ),
    404: "not found; check the base URL and the model id",
    408: "the server timed out; try again",
    413: "the request is too large; shorten the conversation or the prompt",
    422: "the parameters were rejected; check the model and parameter values",
    429: "rate limited; wait a little and try again",
}


QUOTA_WORDS = ("quota", "insufficient", "balance", "credit", "billing")
OUT_OF_QUOTA_ADVICE = "the quota or balance is used up, so waiting will not help; top up or raise the key's quota"


def is_out_of_quota(status: int, server_message: str, code: str | None) -> bool:
    """A 429 saying the quota or balance is used up: servers (TOKI's rate-limit guide, OpenAI's
    insufficient_quota) send it with the status of a rate limit, but it is not one: waiting does not fix it."""
    text = f"{server_message} {code or ''}".lower()
    return status == 429 and any(word in text for word in QUOTA_WORDS)


def _usual_advice(status: int, server_message: str, code: str | None) -> str:
    if is_out_of_quota(status, server_message, code):
        return OUT_OF_QUOTA_ADVICE
    if status in _STATUS_ADVICE:
        return _STATUS_ADVICE[status]
    if status >= 500:
        return "the server had a problem; try again shortly"
    return "the server refused the request"


def describe_status(status: int, server_message: str, code: str | None = None, advice: str | None = None) -> str:
    """One line: the status, what it means and what to do (`advice`, else the status's usual advice), then the
    server's own words."""
    if advice is None:
        advice = _usual_advice(status, server_message, code)
    text = f"HTTP {status}: {advice}"
    if server_message:
        text += f" (server said: {server_message})"
    return text


class HistoryError(TokiError):
    """The history file cannot be used as asked: a newer schema, an unknown or ambiguous conversation id, a failed
    write. The message names the file or the id and says what toki will do."""


class HistoryUnwritableError(HistoryError):
    """The history cannot take a write at all (the disk is full, the file or its folder is read-only): a
    conversation goes on unsaved rather than failing. The message says why and what to do."""
