"""`[mcp_servers.NAME]` tables: the MCP tool servers toki starts, as checked, frozen data.

A server is either local (`command` + `args`, with optional `env` and `cwd`), spoken to over its stdin and stdout,
or remote (`url`, with optional `headers`), spoken to over streamable HTTP. A header's value is a string, or a
table naming where the secret comes from: `{ env = "NAME" }` (an environment variable) or `{ cmd = "pass show x" }`
(a command printing it, run as the endpoints' `api_key_cmd`), with an optional `prefix` such as `"Bearer "`.
Header values are never shown: not in errors, not by `toki config show`, not in `/mcp`.

This module imports nothing of the MCP SDK: the config is read on every start, the SDK only when a server starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

DEFAULT_CALL_TIMEOUT = 60.0
"""Seconds a tool call may take before its result says it timed out (`timeout` in a server's table)."""
DEFAULT_START_TIMEOUT = 30.0
"""Seconds a server may take to start and list its tools (`start_timeout`) before it counts as failed."""

SERVER_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_TEXT = re.compile(r"[\x20-\x7e]*")

SERVER_KEYS = ("command", "args", "env", "cwd", "url", "headers", "enabled", "timeout", "start_timeout")


@dataclass(frozen=True, repr=False)
class HeaderValue:
    """Where one header's value comes from: exactly one of `value`, `env`, `cmd`; `prefix` goes before it."""

    value: str | None = None
    env: str | None = None
    cmd: str | None = None
    prefix: str = ""

    def __repr__(self) -> str:
        return "HeaderValue(<not shown>)"


@dataclass(frozen=True)
class McpServerConfig:
    """One `[mcp_servers.NAME]` table."""

    name: str
    """The NAME: shown in `/mcp`, and the prefix of its tools' names when two servers offer the same name."""
    command: str | None = None
    """The program of a local server, such as `"npx"` or `"uvx"`, found on PATH."""
    args: tuple[str, ...] = ()
    """Its arguments, as an array."""
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Environment variables set for it, over a minimal inherited environment (PATH, HOME, ...)."""
    cwd: str | None = None
    """The folder it runs in."""
    url: str | None = None
    """The endpoint of a remote server (streamable HTTP), such as `"https://mcp.example.com/mcp"`."""
    headers: Mapping[str, HeaderValue] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    """HTTP headers sent to a remote server: `Name = "value"` or `Name = { env = "VAR", prefix = "Bearer " }` or
    `Name = { cmd = "pass show mcp" }`."""
    enabled: bool = True
    """`false` keeps the table without starting the server."""
    timeout: float = DEFAULT_CALL_TIMEOUT
    """Seconds one tool call may take; past it the call's result says it timed out."""
    start_timeout: float = DEFAULT_START_TIMEOUT
    """Seconds the server may take to start and list its tools."""

    @property
    def where(self) -> str:
        """What runs: the command line or the URL (for `/mcp` and `toki mcp list`; headers never included, nor a
        URL's password or query, where hosted servers take a key)."""
        if self.url is not None:
            return _url_shown(self.url)
        return " ".join([self.command or "", *self.args])


def _url_shown(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    netloc = f"{user}@{host}" if user else host
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def valid_mcp_servers(value: object) -> Mapping[str, McpServerConfig]:
    """The Config field: a mapping of names to McpServerConfig with the same name."""
    if not isinstance(value, Mapping) or not all(
        isinstance(server, McpServerConfig) and server.name == name for name, server in value.items()
    ):
        raise ValueError("a mapping of server names to McpServerConfig with the same name")
    return MappingProxyType(dict(value))


def parse_mcp_servers(table: Mapping[str, Any]) -> tuple[dict[str, McpServerConfig], list[str]]:
    """The servers of the `[mcp_servers]` table and the problems found, each as "mcp_servers.NAME.key: expected
    ..., got ..." (a header's value is never quoted)."""
    servers: dict[str, McpServerConfig] = {}
    problems: list[str] = []
    for name, body in table.items():
        prefix = f"mcp_servers.{name}"
        if not isinstance(name, str) or not SERVER_NAME_PATTERN.fullmatch(name):
            problems.append(f"{prefix}: expected a server name of letters, digits, '_' and '-' (at most 32)")
            continue
        if not isinstance(body, Mapping):
            problems.append(f'{prefix}: expected a table such as [{prefix}] with command = "uvx"')
            continue
        found = _parse_server(name, body, prefix, problems)
        if found is not None:
            servers[name] = found
    return servers, problems


def _parse_server(name: str, body: Mapping[str, Any], prefix: str, problems: list[str]) -> McpServerConfig | None:
    before = len(problems)
    for key in body:
        if key not in SERVER_KEYS:
            problems.append(f"{prefix}.{key}: unknown key; expected one of {', '.join(SERVER_KEYS)}")
    command, url = body.get("command"), body.get("url")
    if (command is None) == (url is None):
        problems.append(f'{prefix}: expected either command = "program" (a local server) or url = "https://..."')
    fields: dict[str, Any] = {}
    if command is not None:
        form = (
            "a program name or path (its arguments go in args)"
            if isinstance(command, list)
            else "a program name or path"
        )
        fields["command"] = _checked(problems, f"{prefix}.command", command, _text, form)
        fields["args"] = tuple(_checked(problems, f"{prefix}.args", body.get("args", []), _strings, "an array") or ())
        env = _checked(problems, f"{prefix}.env", body.get("env", {}), _env, "a table of strings")
        fields["env"] = MappingProxyType(env or {})
        if "cwd" in body:
            fields["cwd"] = _checked(problems, f"{prefix}.cwd", body["cwd"], _text, "a folder path")
    elif "args" in body or "env" in body or "cwd" in body:
        problems.append(f"{prefix}: args, env and cwd belong to a local server (with command), not to a url")
    if url is not None:
        fields["url"] = _checked(problems, f"{prefix}.url", url, _url, "an http:// or https:// URL")
        headers = body.get("headers", {})
        fields["headers"] = MappingProxyType(_headers(problems, f"{prefix}.headers", headers))
    elif "headers" in body:
        problems.append(f"{prefix}.headers: headers belong to a server with a url")
    if "enabled" in body:
        fields["enabled"] = _checked(problems, f"{prefix}.enabled", body["enabled"], _flag, "true or false")
    for key in ("timeout", "start_timeout"):
        if key in body:
            fields[key] = _checked(problems, f"{prefix}.{key}", body[key], _seconds, "a number of seconds above 0")
    if len(problems) > before:
        return None
    return McpServerConfig(name=name, **fields)


def _checked(problems: list[str], key: str, value: object, check: Any, form: str) -> Any:
    try:
        return check(value)
    except ValueError:
        problems.append(f"{key}: expected {form}, got {_shown(value)}")
        return None


def _shown(value: object) -> str:
    """A wrong value as the user wrote it, or its TOML kind when it is long or not a plain value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float) and len(repr(value)) <= 40:
        return repr(value)
    if isinstance(value, list):
        return "an array"
    return "a table" if isinstance(value, Mapping) else "a long text"


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ValueError
    return value


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(part, str) and "\0" not in part for part in value):
        raise ValueError
    return list(value)


def _env(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and _ENV_NAME.fullmatch(k) and isinstance(v, str) and "\0" not in v for k, v in value.items()
    ):
        raise ValueError
    return dict(value)


def _url(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s]+", value):
        raise ValueError
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise ValueError
    return float(value)


def _headers(problems: list[str], key: str, value: object) -> dict[str, HeaderValue]:
    form = 'a table such as { Authorization = { env = "MCP_TOKEN", prefix = "Bearer " } }'
    if not isinstance(value, Mapping):
        problems.append(f"{key}: expected {form}")
        return {}
    headers: dict[str, HeaderValue] = {}
    for name, source in value.items():
        where = f"{key}.{name}"
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            problems.append(f"{where}: expected a header name such as Authorization")
        elif isinstance(source, str):
            if not _HEADER_TEXT.fullmatch(source):
                problems.append(f"{where}: expected a value of visible ASCII characters (not shown)")
            else:
                headers[name] = HeaderValue(value=source)
        elif isinstance(source, Mapping) and _header_source(source):
            headers[name] = HeaderValue(
                env=source.get("env"), cmd=source.get("cmd"), prefix=str(source.get("prefix", ""))
            )
        else:
            problems.append(f'{where}: expected a string, {{ env = "VAR" }} or {{ cmd = "command" }} (not shown)')
    return headers


def _header_source(source: Mapping[str, Any]) -> bool:
    if set(source) - {"env", "cmd", "prefix"} or ("env" in source) == ("cmd" in source):
        return False
    prefix = source.get("prefix", "")
    if not isinstance(prefix, str) or not _HEADER_TEXT.fullmatch(prefix):
        return False
    if "env" in source:
        return isinstance(source["env"], str) and bool(_ENV_NAME.fullmatch(source["env"]))
    return isinstance(source["cmd"], str) and bool(source["cmd"].strip())
