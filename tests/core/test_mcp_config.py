"""[mcp_servers] tables, the names MCP tools are offered under, and a call's result as a `tool` message's text.
No server runs here (tests/core/test_mcp_manager.py starts them)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from toki_tui.core.config.config_file import config_from_toml
from toki_tui.core.errors import ConfigError
from toki_tui.core.mcp.config import McpServerConfig, parse_mcp_servers
from toki_tui.core.mcp.connection import resolve_headers
from toki_tui.core.mcp.naming import McpTool, assign_names, object_schema
from toki_tui.core.mcp.results import MCP_RESULT_MAX_CHARS, result_text

SECRET = "s3cret-token-value"


def _load(text: str) -> object:
    return config_from_toml(tomllib.loads(text), Path("/tmp/config.toml"))


def test_local_and_remote_servers_are_read() -> None:
    config = _load(
        """
        [mcp_servers.files]
        command = "uvx"
        args = ["mcp-server-filesystem", "/tmp"]
        env = { DEBUG = "1" }
        cwd = "/tmp"
        timeout = 5

        [mcp_servers.search]
        url = "https://mcp.example.com/mcp"
        headers = { Authorization = { env = "SEARCH_TOKEN", prefix = "Bearer " }, X-Plain = "v" }
        enabled = false
        """
    )
    servers = config.mcp_servers  # type: ignore[attr-defined]
    files, search = servers["files"], servers["search"]
    assert (files.command, files.args, dict(files.env), files.cwd) == (
        "uvx",
        ("mcp-server-filesystem", "/tmp"),
        {"DEBUG": "1"},
        "/tmp",
    )
    assert files.timeout == 5.0 and files.enabled and files.where == "uvx mcp-server-filesystem /tmp"
    assert search.url == "https://mcp.example.com/mcp" and not search.enabled and search.timeout == 60.0
    assert search.headers["Authorization"].env == "SEARCH_TOKEN"


def test_no_table_means_no_servers() -> None:
    assert dict(_load('theme = "toki-dark"').mcp_servers) == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[mcp_servers.a]\nargs = ["x"]', "either command"),
        ('[mcp_servers.a]\ncommand = "x"\nurl = "https://h/mcp"', "either command"),
        ('[mcp_servers.a]\ncommand = "x"\ntimeout = 0', "mcp_servers.a.timeout: expected a number of seconds"),
        ('[mcp_servers.a]\ncommand = "x"\nargs = "one string"', "mcp_servers.a.args: expected an array"),
        (
            '[mcp_servers.a]\ncommand = ["npx", "-y"]',
            "command: expected a program name or path (its arguments go in args), got an array",
        ),
        (
            '[mcp_servers.a]\ncommand = "x"\nenv = { A = 1 }',
            "mcp_servers.a.env: expected a table of strings, got a table",
        ),
        ('[mcp_servers.a]\ncommand = "x"\nenabeld = false', "mcp_servers.a.enabeld: unknown key"),
        ('[mcp_servers.a]\nurl = "ftp://h"', "mcp_servers.a.url: expected an http"),
        ('[mcp_servers."bad name"]\ncommand = "x"', "expected a server name"),
    ],
)
def test_a_bad_table_is_one_clear_error_naming_file_and_key(table: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(table)
    assert "/tmp/config.toml" in str(caught.value) and expected in str(caught.value)


def test_header_values_never_appear_in_errors_or_reprs() -> None:
    with pytest.raises(ConfigError) as caught:
        _load(f'[mcp_servers.a]\nurl = "https://h/mcp"\nheaders = {{ Authorization = "{SECRET}\\n" }}')
    assert SECRET not in str(caught.value) and "Authorization" in str(caught.value)
    servers, problems = parse_mcp_servers({"a": {"url": "https://h/mcp", "headers": {"Authorization": SECRET}}})
    assert problems == [] and SECRET not in repr(servers["a"])


def test_a_secret_in_a_servers_url_is_not_shown() -> None:
    """Hosted servers often take their key in the URL (`?api_key=`, `user:password@`): `/mcp` and `toki mcp list`
    show where a server runs without it, as they do a header's value; the server still gets the whole URL."""
    url = f"https://me:{SECRET}@mcp.example.com/mcp?api_key={SECRET}&profile=work"
    servers, problems = parse_mcp_servers({"a": {"url": url}})
    assert problems == [] and servers["a"].url == url
    assert servers["a"].where == "https://me@mcp.example.com/mcp?…"


def test_header_values_come_from_the_environment_or_a_key_command(monkeypatch: pytest.MonkeyPatch) -> None:
    servers, _ = parse_mcp_servers(
        {
            "a": {
                "url": "https://h/mcp",
                "headers": {
                    "Authorization": {"env": "MCP_TEST_TOKEN", "prefix": "Bearer "},
                    "X-Key": {"cmd": f"echo {SECRET}"},
                },
            }
        }
    )
    monkeypatch.setenv("MCP_TEST_TOKEN", SECRET)
    assert resolve_headers(servers["a"]) == {"Authorization": f"Bearer {SECRET}", "X-Key": SECRET}
    monkeypatch.delenv("MCP_TEST_TOKEN")
    with pytest.raises(ConfigError, match="MCP_TEST_TOKEN, which is not set"):
        resolve_headers(servers["a"])


def _tool(server: str, name: str) -> McpTool:
    return McpTool(server, name, "", {"type": "object"})


def test_names_stay_as_they_are_unless_they_clash_or_break_the_rule() -> None:
    named = assign_names(
        [_tool("git", "status"), _tool("git", "log"), _tool("files", "log"), _tool("files", "read file!"),
         _tool("files", "x" * 100), _tool("files", "get_weather")],
        reserved=["get_weather"],
    )  # fmt: skip
    exposed = [tool.exposed for tool in named]
    assert exposed == ["status", "git__log", "files__log", "read_file_", "x" * 64, "files__get_weather"]
    assert named[3].name == "read file!"  # the call uses the server's own name
    assert len(set(exposed)) == len(exposed)
    again = assign_names([_tool("a", "b__c"), _tool("a__b", "c"), _tool("a", "c"), _tool("a__b", "c")])
    assert len({tool.exposed for tool in again}) == 4


def test_a_tool_is_offered_with_its_schema_and_a_malformed_schema_is_replaced() -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    [tool] = assign_names([McpTool("s", "echo", "Echo it", schema)])
    assert tool.definition() == {
        "type": "function",
        "function": {"name": "echo", "description": "Echo it", "parameters": schema},
    }
    assert object_schema(["not", "a", "schema"]) == {"type": "object", "properties": {}}


def test_results_keep_text_and_name_other_content() -> None:
    parts = [
        SimpleNamespace(type="text", text="hello"),
        SimpleNamespace(type="image", data="AAAA", mime_type="image/png"),
        SimpleNamespace(
            type="resource", resource=SimpleNamespace(uri="file:///a.txt", mime_type="text/plain", text="A")
        ),
        SimpleNamespace(type="resource_link", name="b", uri="file:///b"),
    ]
    assert result_text(parts, is_error=False) == (
        "hello\n[image: image/png, 3 bytes]\n[resource: file:///a.txt (text/plain)]\nA\n[resource link: b file:///b]"
    )
    assert (
        result_text([SimpleNamespace(type="text", text="boom")], is_error=True) == "The tool reported an error:\nboom"
    )
    assert result_text([], is_error=False, structured={"n": 1}) == '{"n": 1}'
    long = result_text([SimpleNamespace(type="text", text="x" * (MCP_RESULT_MAX_CHARS + 5))], is_error=False)
    assert long.startswith("x" * MCP_RESULT_MAX_CHARS) and long.endswith(
        f"[result cut at {MCP_RESULT_MAX_CHARS} characters of {MCP_RESULT_MAX_CHARS + 5}]"
    )


def test_disabled_servers_stay_disabled() -> None:
    from toki_tui.core.mcp.manager import McpManager

    manager = McpManager({"off": McpServerConfig(name="off", command="never-run", enabled=False)})
    manager.start()
    try:
        assert manager.wait_settled(5)
        [state] = manager.states()
        assert (state.status, state.describe()) == ("disabled", "disabled (enabled = false in the config)")
        assert manager.tools() == []
    finally:
        manager.stop()


def test_a_local_tool_taking_a_name_renames_the_mcp_tool_in_its_server_state() -> None:
    from toki_tui.core.mcp.manager import McpManager, ServerState

    manager = McpManager({"s": McpServerConfig(name="s", command="never-run")})
    listed = [SimpleNamespace(name="echo", description="", input_schema={"type": "object"})]
    manager._ready(manager._configs["s"], listed)
    assert [tool.exposed for tool in manager.tools()] == ["echo"]
    manager.with_reserved(["echo"])
    assert [tool.exposed for tool in manager.tools()] == ["s__echo"]
    [state] = manager.states()
    assert isinstance(state, ServerState) and [tool.exposed for tool in state.tools] == ["s__echo"]
    assert manager.tool("s__echo") is not None and manager.tool("echo") is None


def test_a_name_once_offered_stays_with_its_tool_when_a_clashing_tool_arrives() -> None:
    first = assign_names([_tool("git", "search"), _tool("git", "log")])
    kept = {(tool.server, tool.name): tool.exposed for tool in first}
    assert kept == {("git", "search"): "search", ("git", "log"): "log"}
    # files lists a "search" of its own later (list_changed): the newcomer takes the prefix, git's keeps its name.
    later = assign_names([_tool("git", "search"), _tool("files", "search"), _tool("files", "log")], kept=kept)
    assert [tool.exposed for tool in later] == ["search", "files__search", "files__log"]
    # git's "log" went away: its name stays taken, so it never comes to mean files' tool; a duplicate is renamed.
    again = assign_names([_tool("files", "log"), _tool("git", "search"), _tool("git", "search")], kept=kept)
    assert [tool.exposed for tool in again] == ["files__log", "search", "git__search"]
    # Nothing offered yet (servers still starting): a shared name is prefixed on both sides, as before.
    assert [tool.exposed for tool in assign_names([_tool("git", "search"), _tool("files", "search")])] == [
        "git__search",
        "files__search",
    ]


def test_the_manager_keeps_offered_names_when_another_server_lists_a_clashing_tool() -> None:
    from toki_tui.core.mcp.manager import McpManager

    configs = {name: McpServerConfig(name=name, command="never-run") for name in ("s", "t")}
    manager = McpManager(configs)
    echo = [SimpleNamespace(name="echo", description="", input_schema={"type": "object"})]
    manager._ready(manager._configs["s"], echo)
    assert [tool.exposed for tool in manager.tools()] == ["echo"]  # offered to the model
    manager._ready(manager._configs["t"], echo)  # t's list changed: it has an "echo" too
    assert sorted(tool.exposed for tool in manager.tools()) == ["echo", "t__echo"]
    tool = manager.tool("echo")
    assert tool is not None and tool.server == "s"
