"""What config.toml holds, as frozen dataclasses. Import these from toki_tui.core.config.config_file.

Every field carries a docstring under it: that is the reference documentation of the file. Each dataclass checks
its own values on construction (raising ConfigError naming the field and the expected form), and the loader in
config_file.py uses the same validators (validators.py) to name the file and key instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from toki_tui.core.api.params import ChatParams, ParameterError
from toki_tui.core.config.prices import valid_budget, valid_model_prices
from toki_tui.core.config.validators import (
    check_fields,
    show_value,
    valid_base_url,
    valid_endpoint_name,
    valid_env_name,
    valid_keymap,
    valid_models,
    valid_optional_seconds,
    valid_optional_text,
    valid_seconds,
    valid_stored_key,
    valid_system_prompt,
    valid_system_role,
    valid_text,
    valid_tool_commands,
)
from toki_tui.core.errors import ConfigError
from toki_tui.core.mcp.config import McpServerConfig, valid_mcp_servers
from toki_tui.core.pricing import Price

if TYPE_CHECKING:
    from toki_tui.core.config.presets import Preset

TOKI_API_KEY = "TOKI_API_KEY"
"""The environment variable that holds the built-in endpoint's key."""
TOKI_BASE_URL = "TOKI_BASE_URL"
"""With TOKI_API_KEY: an ad-hoc endpoint and the key that belongs to it."""
TOKI_MODEL = "TOKI_MODEL"
"""The model to use when no flag names one."""

DEFAULT_ENDPOINT = "toki"
DEFAULT_BASE_URL = "https://www.tokiai.ai/v1"
DEFAULT_MODEL = "deepseek/deepseek-chat-v3"
DEFAULT_THEME = "toki-dark"


@dataclass(frozen=True)
class EndpointConfig:
    """An OpenAI-compatible server, as a `[endpoints.NAME]` table. Its key is only ever sent to its own host."""

    name: str
    """The endpoint's name: the NAME of `[endpoints.NAME]`, used by `--endpoint NAME` and `default_endpoint`."""
    base_url: str
    """The API root, such as `https://www.tokiai.ai/v1` or `http://localhost:11434/v1`; toki adds
    `/chat/completions` and `/models`. Required (except for `[endpoints.toki]`, which defaults to TOKI's)."""
    api_key_env: str | None = None
    """The name of the environment variable that holds this endpoint's key, such as `"WORK_API_KEY"`.
    Tried first. The built-in "toki" endpoint uses `TOKI_API_KEY`."""
    api_key_cmd: str | None = None
    """A shell command that prints this endpoint's key, such as `"pass show toki"`; its first line is used.
    Tried when the `api_key_env` variable is not set; it runs only when the key is about to be used."""
    api_key: str | None = field(default=None, repr=False)
    """A key kept in this file (mode 0600), written by the TUI's "enter key" dialog. Tried last; prefer
    `api_key_env` or `api_key_cmd`, which keep the key out of the file."""
    models: tuple[str, ...] = ()
    """Model ids for this endpoint, such as `["llama3.1:8b"]`: offered when its /models request fails, and the
    model used when `--endpoint` picks it and `default_model` is not among them. Leave empty to use /models."""
    system_role: str | None = None
    """The role the system prompt is sent as with this endpoint: `"system"` (the default) or `"developer"`
    (newer OpenAI models want it). New conversations start with it; each conversation remembers its own."""
    tools_file: str | None = None
    """A JSON file with an array of tool definitions sent with every request to this endpoint (in place of the
    global `tools_file`), such as `"~/toki/tools.json"`; a relative path is relative to this config file."""
    tools: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)
    """The tools read from `tools_file` when the config was loaded (not a key of the file)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            {
                "name": valid_endpoint_name,
                "base_url": valid_base_url,
                "api_key_env": valid_env_name,
                "api_key_cmd": valid_optional_text,
                "api_key": valid_stored_key,
                "models": valid_models,
                "system_role": valid_system_role,
                "tools_file": valid_optional_text,
            },
        )


BUILTIN_ENDPOINT = EndpointConfig(name=DEFAULT_ENDPOINT, base_url=DEFAULT_BASE_URL, api_key_env=TOKI_API_KEY)


@dataclass(frozen=True)
class Timeouts:
    """How long toki waits, in seconds, as the `[timeouts]` table."""

    connect: float = 10.0
    """To open a connection to the server."""
    idle: float = 120.0
    """For the next piece of content of a reply; a server that sends no content this long is given up on (the
    partial reply is kept). Keep-alive comments do not count as content. Reasoning models can think quietly for
    a while before their first token."""
    total: float | None = None
    """A ceiling for a whole reply, start to finish; unset or `0` means no limit (long replies from slow models
    can take many minutes, and the idle limit already catches a server that has stopped)."""

    def __post_init__(self) -> None:
        check_fields(self, {"connect": valid_seconds, "idle": valid_seconds, "total": valid_optional_seconds})


def _builtin_endpoints() -> Mapping[str, EndpointConfig]:
    return MappingProxyType({DEFAULT_ENDPOINT: BUILTIN_ENDPOINT})


def _empty_keymap() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Config:
    """Everything config.toml can hold. Command-line flags and TOKI_API_KEY / TOKI_BASE_URL / TOKI_MODEL take
    precedence over it; missing keys take the defaults shown here."""

    default_endpoint: str = DEFAULT_ENDPOINT
    """The endpoint used when `--endpoint` does not pick one: "toki" or the NAME of an `[endpoints.NAME]` table."""
    default_model: str = DEFAULT_MODEL
    """The model used when neither `--model` nor `TOKI_MODEL` picks one."""
    parameters: ChatParams = field(default_factory=ChatParams)
    """The `[parameters]` table: temperature (0 to 2), top_p (0 to 1), max_tokens (at least 1),
    frequency_penalty and presence_penalty (-2 to 2), json_mode and stream (true/false). A parameter left out is
    not sent, so the server's default applies. `system_prompt` lives in the same table (see below)."""
    system_prompt: str | None = None
    """`system_prompt` in `[parameters]`: the system message that starts every new conversation."""
    theme: str = DEFAULT_THEME
    """The colour theme: a built-in one (toki-dark, toki-light, toki-high-contrast) or the name of a theme file in
    the themes folder next to this file. An unknown or broken theme falls back to toki-dark with a notice."""
    keymap: Mapping[str, str] = field(default_factory=_empty_keymap)
    """The `[keymap]` table: binding id = keys, overriding the built-in key bindings, such as
    `"app.new_conversation" = "ctrl+n"`; separate several keys with commas."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    """The `[timeouts]` table."""
    endpoints: Mapping[str, EndpointConfig] = field(default_factory=_builtin_endpoints)
    """The `[endpoints.NAME]` tables, plus the built-in "toki" endpoint (https://www.tokiai.ai/v1, key from
    TOKI_API_KEY), which `[endpoints.toki]` can adjust."""
    tools_file: str | None = None
    """A JSON file with an array of tool definitions (`[{"type": "function", "function": {"name": ...,
    "parameters": {...}}}]`) sent as `tools` with every request; a relative path is relative to this config
    file. Read when the config is loaded: a bad file is an error naming it. `/tools PATH|off` changes it for a
    conversation."""
    tools: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)
    """The tools read from `tools_file` when the config was loaded (not a key of the file)."""
    tool_commands: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """The `[tool_commands]` table: tool name = the command run for its calls, as an array such as
    `get_weather = ["/usr/local/bin/weather", "--json"]`. `/tool_run` shows the exact command line and runs it
    only once you confirm; the call's arguments are added as one last argument (never through a shell), and its
    output becomes the call's result."""
    mcp_servers: Mapping[str, McpServerConfig] = field(default_factory=lambda: MappingProxyType({}))
    """The `[mcp_servers.NAME]` tables: MCP tool servers started after the first frame (see
    toki_tui.core.mcp.config for their keys)."""
    model_prices: Mapping[str, Price] = field(default_factory=lambda: MappingProxyType({}))
    """The `[models."ID"]` tables: `price_in` and `price_out`, the price per million prompt and completion tokens
    of model ID (both required), used in place of any price the server's model list gives."""
    budget_per_day: float | None = None
    """An amount (in the prices' currency) that today's estimated replies may cost before toki warns, once."""
    presets: Mapping[str, Preset] = field(default_factory=lambda: MappingProxyType({}))
    """The `[presets.NAME]` tables, and the `NAME.toml` files of the `presets` folder next to this file: each a
    name for any of `model`, `endpoint`, `system_prompt`, `system_role`, `json_mode`, `tools_file` and a
    `[presets.NAME.parameters]` table shaped like `[parameters]`, applied by `--preset NAME` or `/preset NAME`."""
    preset_problems: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    """Why each preset that could not be loaded was left out, by its name (not a key of the file)."""
    source: Path | None = field(default=None, compare=False)
    """The file this config was read from; None when there was none (not a key of the file)."""

    def __post_init__(self) -> None:
        if not isinstance(self.parameters, ChatParams):
            raise ConfigError("Config.parameters: expected a ChatParams")
        if not isinstance(self.timeouts, Timeouts):
            raise ConfigError("Config.timeouts: expected a Timeouts")
        check_fields(
            self,
            {
                "default_model": valid_text,
                "theme": valid_text,
                "system_prompt": valid_system_prompt,
                "tools_file": valid_optional_text,
                "keymap": valid_keymap,
                "tool_commands": valid_tool_commands,
                "endpoints": _endpoints,
                "mcp_servers": valid_mcp_servers,
                "model_prices": valid_model_prices,
                "budget_per_day": valid_budget,
                "presets": _presets,
            },
        )
        if self.default_endpoint not in self.endpoints:
            names = ", ".join(self.endpoints)
            raise ConfigError(
                f"Config.default_endpoint: expected one of the endpoints ({names}), got "
                f"{show_value(self.default_endpoint)}"
            )


def _endpoints(value: object) -> Mapping[str, EndpointConfig]:
    if not isinstance(value, Mapping) or not all(
        isinstance(e, EndpointConfig) and e.name == k for k, e in value.items()
    ):
        raise ValueError("a mapping of endpoint names to EndpointConfig with the same name")
    return MappingProxyType(dict(value))


def _presets(value: object) -> Mapping[str, Preset]:
    if not isinstance(value, Mapping):
        raise ValueError("a mapping of preset names to Preset with the same name")
    if value:
        from toki_tui.core.config.presets import Preset  # only with presets: keeps it off `toki ask`'s start-up

        if not all(isinstance(p, Preset) and p.name == k for k, p in value.items()):
            raise ValueError("a mapping of preset names to Preset with the same name")
    return MappingProxyType(dict(value))


def parameters_for_endpoint(config: Config, endpoint_name: str) -> ChatParams:
    """The `[parameters]` a new conversation on this endpoint starts with: the endpoint's `system_role`, if set,
    in place of the default role, and its tools (else the global ones)."""
    endpoint = config.endpoints.get(endpoint_name)
    parameters = config.parameters
    tools = endpoint.tools if endpoint is not None and endpoint.tools is not None else config.tools
    if tools is not None:
        parameters = parameters.replace(tools=tools)
    if endpoint is None or endpoint.system_role is None:
        return parameters
    return parameters.replace(system_role=endpoint.system_role)


def tools_file_for_endpoint(config: Config, endpoint_name: str) -> str | None:
    """The path of the tools file parameters_for_endpoint's tools come from (relative to the config file), or None."""
    endpoint = config.endpoints.get(endpoint_name)
    name = endpoint.tools_file if endpoint is not None and endpoint.tools_file is not None else config.tools_file
    if name is None:
        return None
    path = Path(name).expanduser()
    return str(path if path.is_absolute() or config.source is None else config.source.parent / path)


def with_changes(config: Config, **changes: Any) -> Config:
    """A copy of `config` with fields changed and checked, for the TUI's "save as default".

    Field names of Config, plus `model` for `default_model` and `endpoint` for `default_endpoint`. `parameters`
    may be a ChatParams or a mapping of parameter values. Raises ConfigError on a bad value.
    """
    aliases = {"model": "default_model", "endpoint": "default_endpoint"}
    known = {f.name for f in dataclasses.fields(Config)}
    updates: dict[str, Any] = {}
    for name, value in changes.items():
        field_name = aliases.get(name, name)
        if field_name not in known:
            raise TypeError(f"with_changes() got an unknown field {name!r}")
        updates[field_name] = value
    parameters = updates.get("parameters")
    if isinstance(parameters, Mapping):
        try:
            updates["parameters"] = ChatParams.create(**parameters)
        except ParameterError as error:
            raise ConfigError(f"parameters: {error}") from None
    return dataclasses.replace(config, **updates)


def with_endpoint(config: Config, endpoint: EndpointConfig) -> Config:
    """A copy of `config` with `endpoint` added, or replacing the endpoint of the same name (e.g. to store the key
    typed into the "enter key" dialog: `with_endpoint(c, dataclasses.replace(c.endpoints[n], api_key=key))`)."""
    return dataclasses.replace(config, endpoints={**config.endpoints, endpoint.name: endpoint})


def with_preset(config: Config, preset: Preset) -> Config:
    """A copy of `config` with `preset` added as a `[presets.NAME]` table, or replacing the one of that name."""
    return dataclasses.replace(config, presets={**config.presets, preset.name: preset})


def default_config_text() -> str:
    """A commented example config (`toki config init`, the README). As written it loads as the defaults."""
    return _EXAMPLE_CONFIG


_EXAMPLE_CONFIG = f"""\
# toki configuration. `toki config path` prints where this file lives.
#
# Precedence: command-line flags, then the environment (TOKI_API_KEY, TOKI_BASE_URL, TOKI_MODEL),
# then this file, then the defaults shown below. Uncomment a line to change it.
#
# Keep keys out of this file: name an environment variable (api_key_env) or a command that prints
# the key (api_key_cmd). An endpoint's key is only ever sent to that endpoint's own host.

# The endpoint and model used when no flag or environment variable picks one.
# default_endpoint = "{DEFAULT_ENDPOINT}"
# default_model = "{DEFAULT_MODEL}"

# A built-in theme (toki-dark, toki-light, toki-high-contrast) or the name of a theme file
# in the themes folder next to this file.
# theme = "{DEFAULT_THEME}"

# A JSON file with an array of tool definitions sent with every request (relative to this file);
# an [endpoints.NAME] table may set its own tools_file, used with that endpoint instead.
# tools_file = "tools.json"

[parameters]
# Sent with every request. A parameter left commented is not sent: the server's default applies.
# temperature = 0.7            # 0 to 2; higher is more random
# top_p = 1.0                  # 0 to 1
# max_tokens = 4096            # at least 1; upper bound on the reply length
# frequency_penalty = 0.0      # -2 to 2
# presence_penalty = 0.0       # -2 to 2
# json_mode = false            # ask for a JSON object reply
# stream = true                # show the reply as it is written
# system_prompt = "You are a concise assistant."

[timeouts]
# In seconds.
# connect = 10.0               # to open a connection
# idle = 120.0                 # the server may stay silent this long in the middle of a reply
# total = 0                    # a ceiling for a whole reply; 0 means no limit

[keymap]
# Binding id = keys, overriding the built-in bindings; separate several keys with commas.
# "app.quit" = "ctrl+q"

# Commands bound to tools: `/tool_run` shows the exact command line and runs it only once you
# confirm; the call's arguments (JSON) are added as its last argument, never through a shell.
# [tool_commands]
# get_weather = ["/usr/local/bin/weather", "--json"]

# Prices per million tokens (used in place of the server's), for the cost shown with each reply,
# and a daily amount that warns once when today's replies cost more (put budget_per_day at the top).
# budget_per_day = 2.0
# [models."deepseek/deepseek-chat-v3"]
# price_in = 0.27
# price_out = 1.10

# The built-in endpoint: TOKI, with the key from TOKI_API_KEY. Uncomment to read the key
# from a password manager instead (TOKI_API_KEY still wins when it is set).
# [endpoints.toki]
# api_key_cmd = "pass show toki"

# Any OpenAI-compatible server: use it with `toki --endpoint work`, or make it the default above.
# [endpoints.work]
# base_url = "https://api.example.com/v1"  # the API root; toki adds /chat/completions
# api_key_env = "WORK_API_KEY"             # the NAME of the variable holding the key, or:
# api_key_cmd = "pass show work/api"       # a command that prints the key
# models = ["gpt-4o-mini", "gpt-4o"]       # offered when /models is unavailable
# system_role = "developer"                # send the system prompt as "developer" (newer OpenAI models)

# A preset: a name for any of model, endpoint, system_prompt, system_role, json_mode, tools_file
# and parameters, applied by `toki --preset NAME`, `toki ask -p NAME` or `/preset NAME`. A file
# NAME.toml of the same keys in the presets folder next to this file is a preset too.
# [presets.terse]
# model = "deepseek/deepseek-chat-v3"
# system_prompt = "Answer in one sentence."
# [presets.terse.parameters]
# temperature = 0.2

# A local server that needs no key.
# [endpoints.local]
# base_url = "http://localhost:11434/v1"
# models = ["llama3.1:8b"]
"""
