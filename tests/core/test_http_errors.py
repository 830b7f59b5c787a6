"""Error bodies and Retry-After in every shape of docs/protocol.md §6.19–20, and the retry policy of §5.3."""

from __future__ import annotations

import email.utils

import pytest

from toki_tui.core.api.http_errors import endpoint_error, parse_retry_after, retry_delay, should_retry, status_error


def test_openai_error_body() -> None:
    error = status_error(
        400,
        b'{"error":{"code":"invalid_request","message":"The \'model\' field is required.",'
        b'"type":"invalid_request_error"}}',
        {},
    )
    assert error.status == 400
    assert error.server_message == "The 'model' field is required."
    assert error.code == "invalid_request"
    assert "HTTP 400" in str(error) and "model' field is required" in str(error)


def test_rate_limit_body_without_type() -> None:
    error = status_error(
        429, b'{"error":{"code":"rate_limit_exceeded","message":"Please retry after 30 seconds."}}', {}
    )
    assert error.error_type is None
    assert error.code == "rate_limit_exceeded"
    assert should_retry(error)


def test_error_as_a_string_and_bare_message() -> None:
    assert status_error(500, b'{"error":"boom"}', {}).server_message == "boom"
    assert status_error(500, b'{"message":"bare"}', {}).server_message == "bare"


def test_numeric_error_code() -> None:
    assert status_error(402, b'{"error":{"code":402,"message":"Insufficient credits"}}', {}).code == "402"


def test_html_error_page_is_summarised() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1>" + b"x" * 5000 + b"</body></html>"
    error = status_error(502, page, {"content-type": "text/html"})
    assert error.server_message == "an HTML error page: 502 Bad Gateway"
    assert len(str(error)) < 200


def test_empty_body() -> None:
    error = status_error(503, b"", {})
    assert str(error).startswith("HTTP 503")


def test_401_advice_names_the_key_variable_but_not_the_key() -> None:
    error = status_error(401, b'{"error":{"message":"Invalid API key sk-live-secret"}}', {})
    assert "TOKI_API_KEY" in str(error)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 10, usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == pytest.approx(10, abs=1)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert should_retry(status_error(status, b"{}", {}))


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_not_retryable_statuses(status: int) -> None:
    assert not should_retry(status_error(status, b"{}", {}))


def test_quota_429_is_not_retried_and_says_waiting_will_not_help() -> None:
    assert not should_retry(status_error(429, b'{"error":{"message":"insufficient quota for this key"}}', {}))
    body = b'{"error":{"message":"You exceeded your current quota.","code":"insufficient_quota"}}'
    quota = status_error(429, body, {})
    assert not should_retry(quota)
    assert str(quota).startswith("HTTP 429: the quota or balance is used up, so waiting will not help;")
    assert "wait a little" not in str(quota)
    limited = status_error(429, b'{"error":{"message":"Too many requests"}}', {})
    assert should_retry(limited) and str(limited).startswith("HTTP 429: rate limited; wait a little")


def test_retry_after_over_120_seconds_is_not_waited_for() -> None:
    assert not should_retry(status_error(429, b"{}", {"retry-after": "600"}))


def test_retry_delay_honours_server_and_backs_off_otherwise() -> None:
    assert retry_delay(0, retry_after=2.0, status=429) == 2.0
    for attempt in range(3):
        delay = retry_delay(attempt, retry_after=None, status=503)
        assert 0.75 * 0.5 * 2**attempt <= delay <= 0.5 * 2**attempt
    assert retry_delay(0, retry_after=0.0, status=500) <= 0.5


def test_fastapi_detail_bodies_are_read() -> None:
    # vLLM, LiteLLM and other FastAPI servers answer {"detail": ...}: a string, or pydantic's validation errors.
    assert status_error(404, b'{"detail":"Not Found"}', {}).server_message == "Not Found"
    validation = (
        b'{"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"},'
        b'{"loc":["body","temperature"],"msg":"must be <= 2","type":"value_error"}]}'
    )
    assert status_error(422, validation, {}).server_message == (
        "body.messages: field required; body.temperature: must be <= 2"
    )
    assert status_error(400, b'{"detail":{"message":"Model not loaded"}}', {}).server_message == "Model not loaded"
    assert status_error(400, b'{"detail":[1,2]}', {}).server_message == "[1, 2]"


@pytest.mark.parametrize(
    ("base_url", "hinted"),
    [
        ("http://localhost:8000", True),
        ("http://localhost:11434/ollama/", True),
        ("http://localhost:8000/v1", False),
        ("https://generativelanguage.googleapis.com/v1beta/openai", False),  # the version need not be last
    ],
)
def test_a_404_suggests_v1_only_when_the_base_url_has_no_version(base_url: str, hinted: bool) -> None:
    error = endpoint_error(
        404, b"404 page not found", {}, base_url=base_url, request_url=base_url + "/models", requested="models"
    )
    assert ("try the base URL " + base_url.rstrip("/") + "/v1" in str(error)) is hinted
    assert "server said: 404 page not found" in str(error)


def test_a_redirect_without_a_location_says_so() -> None:
    error = endpoint_error(
        302, b"<html>moved</html>", {}, base_url="http://h/v1", request_url="http://h/v1/models", requested="models"
    )
    assert str(error) == "HTTP 302: the server redirected without saying where to; check the base URL"


@pytest.mark.parametrize(
    ("key_source", "expected"),
    [
        ("TOKI_API_KEY", "the API key from TOKI_API_KEY is wrong"),
        ("api_key_cmd of endpoint 'work'", "the API key from api_key_cmd of endpoint 'work' is wrong"),
        ("config file", "the API key saved in the config file (api_key) is wrong"),
    ],
)
def test_a_401_names_where_the_key_came_from(key_source: str, expected: str) -> None:
    error = endpoint_error(
        401,
        b'{"error": {"message": "bad key"}}',
        {},
        base_url="http://h/v1",
        request_url="http://h/v1/chat/completions",
        requested="chat/completions",
        key_source=key_source,
    )
    assert str(error).startswith(f"HTTP 401: {expected}") and "server said: bad key" in str(error)
