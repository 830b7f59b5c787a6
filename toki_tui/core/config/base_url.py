"""Base URLs: the checked form of an endpoint's URL and the origin (scheme, host, port) a key is bound to."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def check_base_url(url: str) -> str:
    """`url` normalised (no trailing slash, lower-case scheme), or ValueError holding the expected form."""
    text = url.strip()
    example = "an http:// or https:// URL such as https://www.tokiai.ai/v1"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(example) from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(example)
    if parts.username is not None or parts.password is not None:
        # A password in the URL would show up wherever the URL is shown; keys go in api_key_env / api_key_cmd.
        raise ValueError(f"{example} without a user name or password (use api_key_env or api_key_cmd)")
    if parts.query or parts.fragment:
        raise ValueError(f"{example} without a ?query or #fragment")
    path = parts.path.rstrip("/")
    if path.lower().endswith("/chat/completions"):
        raise ValueError(
            "the API root such as https://www.tokiai.ai/v1, without /chat/completions "
            "(toki adds /chat/completions and /models itself)"
        )
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


def origin_of(base_url: str) -> Origin:
    """(scheme, host, port) of a checked base URL: what a key is bound to."""
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS[scheme]


def describe_origin(origin: Origin, other: Origin | None = None) -> str:
    """'host' or 'host:port' (the scheme too when that is all that tells `origin` from `other`)."""
    scheme, host, port = origin
    shown = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS[scheme]:
        shown = f"{shown}:{port}"
    if other is not None and other[1:] == origin[1:] and other[0] != scheme:
        shown = f"{scheme}://{shown}"
    return shown
