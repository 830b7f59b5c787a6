"""Which endpoint, URL, model and API key a run uses, and the rule that keeps a key on its own host.

The key-to-host rule (oterm once sent `OPENAI_API_KEY` to whatever custom endpoint the user configured):

- The endpoint is `--endpoint`, else the config's `default_endpoint`.
- Its base URL is `--base-url`, else `TOKI_BASE_URL`, else the endpoint's configured `base_url`. A flag wins over
  the environment: with `--endpoint NAME`, `TOKI_BASE_URL` is ignored (the user named the endpoint to talk to).
- Its key is the endpoint's `api_key_env` variable, else the output of its `api_key_cmd`, else its stored
  `api_key`. For the built-in "toki" endpoint `api_key_env` is `TOKI_API_KEY`.
- A key belongs to the origin (scheme, host, port) of the endpoint's configured `base_url`. When a flag or
  `TOKI_BASE_URL` points the run at another origin, the endpoint's key is withheld, and `api_key_cmd` is not even
  run. If another configured endpoint has that origin, the run uses that endpoint (its name and its key);
  otherwise it is an ad-hoc endpoint named after the host ("127.0.0.1-8000") that gets no key, except through the
  pair `TOKI_BASE_URL` + `TOKI_API_KEY`: setting both is one explicit statement that this key belongs to that
  host, so `TOKI_API_KEY` is sent to the origin `TOKI_BASE_URL` names (tests use this to point toki at the fake
  server). An ad-hoc endpoint without a key sends requests without one (local servers need none).
- The model is `--model`, else `TOKI_MODEL`, else the config's `default_model`; when `--endpoint` picks an
  endpoint other than the default one and that endpoint lists `models` without `default_model` among them, its
  first model is used instead, since the default model most likely does not exist there.

A withheld or missing key is not an error by itself (listing models of a local server needs none);
`require_api_key()` raises MissingApiKeyError before a request that needs one, saying why there is none.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toki_tui.core.config.base_url import DEFAULT_PORTS, Origin, check_base_url, describe_origin, origin_of
from toki_tui.core.config.model import TOKI_API_KEY, TOKI_BASE_URL, TOKI_MODEL
from toki_tui.core.errors import ConfigError, MissingApiKeyError

if TYPE_CHECKING:
    from toki_tui.core.config.model import Config, EndpointConfig

KEY_COMMAND_TIMEOUT = 10.0
"""Seconds an `api_key_cmd` may take: a password manager that asks for a passphrase answers in a few seconds; a
command that hangs (waiting on a terminal it does not have) must not keep toki from starting forever."""

# A key travels in an HTTP header: visible ASCII only. Checking here gives a clear message without the key, where
# httpx would fail later with an error that may quote the header.
_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")


def run_key_command(command: str, *, timeout: float = KEY_COMMAND_TIMEOUT) -> str:
    """Run `command` in the shell and return the key it prints (its first non-empty line, stripped).

    The first line is the key, as with `pass show NAME`, whose later lines hold notes. Raises ConfigError that
    gives the exit status, never the output: output of a failed key command may well hold the key.
    """
    try:
        process = subprocess.Popen(
            command,
            shell=True,
            # Not toki's stdin: in `echo question | toki ask` the command would swallow the question.
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            # Captured and dropped: it must not scribble over the TUI, and it could echo the secret.
            stderr=subprocess.DEVNULL,
            # Its own process group (POSIX), so a timeout stops what it started too, not just the shell.
            start_new_session=os.name == "posix",
        )
    except OSError as error:
        raise ConfigError(f"could not be started ({error.strerror or type(error).__name__})") from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.wait()
        # A grandchild may still hold the pipe open; closing our end instead of reading on keeps toki from hanging.
        if process.stdout is not None:
            process.stdout.close()
        raise ConfigError(
            f"did not finish within {timeout:g} s and was stopped, with what it started; "
            "check that the command prints the key and exits when run on its own"
        ) from None
    if process.returncode != 0:
        raise ConfigError(f"exited with status {process.returncode}")
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("printed something that is not UTF-8 text") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ConfigError("printed nothing")
    return lines[0]


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the key command and every process it started (they share its process group)."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass
    process.kill()


@dataclass(frozen=True, repr=False)
class ResolvedEndpoint:
    """The endpoint, URL, model and key one run uses, after flags, environment and config are combined."""

    name: str
    """The endpoint's name in the config ("toki" for the built-in one)."""
    base_url: str
    """The API root, normalised: http(s), no trailing slash, never ending in /chat/completions."""
    api_key: str | None = field(default=None, repr=False)
    """The key to send, or None when there is none for this host."""
    key_source: str = "none"
    """Where the key came from, for display: "TOKI_API_KEY", "api_key_cmd of endpoint 'work'", "config file"."""
    model: str = ""
    """The model id to request."""
    models: tuple[str, ...] = ()
    """The endpoint's configured model ids (a fallback when its /models request fails)."""
    key_required: bool = True
    """False for an endpoint configured without any key option (a local server that needs none)."""
    missing_key_message: str = ""
    """Why there is no key, and how to provide one; what require_api_key() raises."""

    def __repr__(self) -> str:
        key = "<hidden>" if self.api_key else "None"
        return (
            f"ResolvedEndpoint(name={self.name!r}, base_url={self.base_url!r}, api_key={key}, "
            f"key_source={self.key_source!r}, model={self.model!r}, models={self.models!r}, "
            f"key_required={self.key_required!r})"
        )


def require_api_key(resolved: ResolvedEndpoint) -> str:
    """The key, or MissingApiKeyError saying why there is none and how to provide one."""
    if resolved.api_key:
        return resolved.api_key
    raise MissingApiKeyError(resolved.missing_key_message or f"no API key for endpoint {resolved.name!r}")


def _flag_or_env(flag: str | None, env: Mapping[str, str], name: str) -> tuple[str | None, str]:
    if flag is not None and flag.strip():
        return flag.strip(), "--" + name.removeprefix("TOKI_").lower().replace("_", "-")
    value = env.get(name, "").strip()
    return (value, name) if value else (None, "")


def _checked_url(url: str, source: str) -> str:
    try:
        return check_base_url(url)
    except ValueError as error:
        # A URL with a password in it is not echoed: the password is a secret too.
        shown = "a URL with a user name or password" if "@" in url else repr(url.strip())
        raise ConfigError(f"{source}: expected {error}, got {shown}") from None


def _checked_key(key: str, source: str) -> str:
    if not _KEY_CHARACTERS.fullmatch(key):
        raise ConfigError(f"the API key from {source} contains spaces or control characters; check how it is set")
    return key


def _how_to_set_key(endpoint: EndpointConfig) -> str:
    table = f"[endpoints.{endpoint.name}]"
    if endpoint.api_key_env:
        return f"set {endpoint.api_key_env}, or set api_key_cmd under {table} in the config file"
    return f"set api_key_env or api_key_cmd under {table} in the config file"


def resolve_endpoint(
    config: Config,
    env: Mapping[str, str],
    *,
    endpoint: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    run_key_cmd: Callable[[str], str] = run_key_command,
) -> ResolvedEndpoint:
    """Combine flags, environment and config into the run's endpoint (see the module docstring for the rule).

    Raises ConfigError for an unknown endpoint, a bad URL or a failing `api_key_cmd`; a missing key is reported
    later, by require_api_key().
    """
    endpoint_named = bool(endpoint and endpoint.strip())
    name = endpoint.strip() if endpoint and endpoint.strip() else config.default_endpoint
    if name not in config.endpoints:
        known = ", ".join(sorted(config.endpoints))
        raise ConfigError(f"unknown endpoint {name!r}; the config defines: {known} (as [endpoints.NAME] tables)")
    chosen = config.endpoints[name]
    configured_url = _checked_url(chosen.base_url, f"base_url of endpoint {name!r}")
    home = origin_of(configured_url)

    # `--endpoint NAME` outranks TOKI_BASE_URL (a flag wins over the environment); `--base-url` still applies.
    override_url, override_source = _flag_or_env(base_url, {} if endpoint_named else env, TOKI_BASE_URL)
    effective_url = _checked_url(override_url, override_source) if override_url else configured_url
    target = origin_of(effective_url)
    env_base = env.get(TOKI_BASE_URL, "").strip()
    env_origin = origin_of(_checked_url(env_base, TOKI_BASE_URL)) if env_base else None

    ad_hoc = False
    if target != home:
        # The run goes to another host. A configured endpoint for that host lends its name and key; otherwise the
        # run is an ad-hoc endpoint named after the host, so the history records where replies came from.
        match = _endpoint_for_origin(config, target)
        if match is not None:
            chosen, name, home = match, match.name, target
        else:
            name, ad_hoc = ad_hoc_endpoint_name(target), True

    api_key: str | None = None
    key_source = "none"
    if target == home:
        api_key, key_source = _endpoint_key(chosen, env, run_key_cmd)
    # TOKI_BASE_URL + TOKI_API_KEY: the user's own statement that this key belongs to that host.
    if api_key is None and env_origin == target and env.get(TOKI_API_KEY, "").strip():
        api_key, key_source = _checked_key(env[TOKI_API_KEY].strip(), TOKI_API_KEY), TOKI_API_KEY

    # An ad-hoc host gets no key unless the user paired TOKI_BASE_URL with TOKI_API_KEY; requests then go without
    # one (local servers need none; a server that does answers 401, whose message says how to set a key).
    key_required = not ad_hoc and bool(chosen.api_key_env or chosen.api_key_cmd or chosen.api_key)
    if api_key is not None:
        missing = ""
    elif ad_hoc:
        missing = (
            f"no API key for {describe_origin(target)}: set {TOKI_BASE_URL} and {TOKI_API_KEY} together, or add an "
            f"[endpoints.NAME] table with that base_url and its own api_key_env or api_key_cmd (keys of other "
            f"endpoints are never sent to it)"
        )
    else:
        missing = f"no API key for endpoint {name!r}: {_how_to_set_key(chosen)}"

    chosen_model, _ = _flag_or_env(model, env, TOKI_MODEL)
    if chosen_model is None:
        chosen_model = config.default_model
        if name != config.default_endpoint and chosen.models and chosen_model not in chosen.models:
            chosen_model = chosen.models[0]
    return ResolvedEndpoint(
        name=name,
        base_url=effective_url,
        api_key=api_key,
        key_source=key_source,
        model=chosen_model,
        models=chosen.models,
        key_required=key_required,
        missing_key_message=missing,
    )


def ad_hoc_endpoint_name(origin: Origin) -> str:
    """A valid endpoint name for a host no endpoint is configured for, e.g. "127.0.0.1-8000", "api.example.com"."""
    scheme, host, port = origin
    label = host if port == DEFAULT_PORTS[scheme] else f"{host}-{port}"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", label).strip("-") or "custom"


def _endpoint_for_origin(config: Config, origin: Origin) -> EndpointConfig | None:
    for candidate in config.endpoints.values():
        try:
            if origin_of(check_base_url(candidate.base_url)) == origin:
                return candidate
        except ValueError:
            continue
    return None


def _endpoint_key(
    endpoint: EndpointConfig, env: Mapping[str, str], run_key_cmd: Callable[[str], str]
) -> tuple[str | None, str]:
    """The endpoint's own key and where it came from, trying api_key_env, api_key_cmd, then the stored key."""
    if endpoint.api_key_env:
        value = env.get(endpoint.api_key_env, "").strip()
        if value:
            return _checked_key(value, endpoint.api_key_env), endpoint.api_key_env
    if endpoint.api_key_cmd:
        source = f"api_key_cmd of endpoint {endpoint.name!r}"
        try:
            value = run_key_cmd(endpoint.api_key_cmd).strip()
        except ConfigError as error:
            raise ConfigError(f"{source} {error}; run the command yourself to see why") from None
        except Exception as error:
            # The exception text of a custom runner could quote the command's output: name only its type.
            raise ConfigError(f"{source} failed ({type(error).__name__})") from None
        if not value:
            raise ConfigError(f"{source} printed nothing")
        return _checked_key(value, source), source
    if endpoint.api_key:
        return _checked_key(endpoint.api_key, "the config file"), "config file"
    return None, "none"
