"""A stdio MCP server for the tests, written with the official SDK's server API (MCPServer).

Run as `python -m tests.fakes.mcp_server` from the repository root
(`[--garbage] [--child PIDFILE] [--fail-start]`). Its tools: `echo` (text),
`picture` (an image and a text), `fail` (an error result), `slow` (sleeps the seconds it is given: a hang),
`crash` (the process exits in the middle of the call), `big` (a result of N characters), `grow` (adds the tool
`grown` and sends `notifications/tools/list_changed`, as a server whose tools change while it runs), and one whose
name and description come from the hostile corpus. `--child PIDFILE` starts a sleeping child process and writes its pid
there (the no-orphans test checks it goes away with the server); `--http PORTFILE TOKEN` serves streamable HTTP
instead of stdio, to requests with the bearer TOKEN only; `--garbage` writes a line that is not JSON-RPC
once initialized; `--fail-start` exits at once with a line on stderr.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent, TextContent

from tests.hostile import HOSTILE, storable

HOSTILE_TOOL_NAME = "evil[/]\x1b]52;c;cHduZWQ=\x07name"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 24

server = MCPServer("toki-test-server")


@server.tool(description="Echo the text back.")
def echo(text: str) -> str:
    return f"echo: {text}"


@server.tool(description="A small picture and a caption.")
def picture() -> list[TextContent | ImageContent]:
    data = base64.b64encode(PNG_BYTES).decode("ascii")
    return [TextContent(type="text", text="a caption"), ImageContent(type="image", data=data, mime_type="image/png")]


@server.tool(description="Always fails.")
def fail() -> str:
    raise ToolError("the disk is on fire")


@server.tool(description="Sleeps.")
async def slow(seconds: float, marker: str = "") -> str:
    """With a `marker` path: writes MARKER.started once running, and MARKER.cancelled if the client cancels it."""
    if marker:
        Path(marker + ".started").write_text("")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        if marker:
            Path(marker + ".cancelled").write_text("")
        raise
    return "done sleeping"


@server.tool(description="Exits in the middle of the call.")
def crash() -> str:
    print("crashing now", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool(description="A long result.")
def big(size: int) -> str:
    return "b" * size


def grown() -> str:
    return "grown"


@server.tool(description="Adds a tool while running.")
async def grow(ctx: Context) -> str:
    server.add_tool(grown, description="Added while running.")
    await ctx.session.send_tool_list_changed()
    return "grew a tool"


@server.tool(name=HOSTILE_TOOL_NAME, description=storable(HOSTILE))
def hostile(text: str = "") -> str:
    return storable(HOSTILE)


def serve_http(port_file: Path, token: str) -> None:
    """Streamable HTTP on 127.0.0.1 (a free port, written to `port_file`); a request without the header
    `Authorization: Bearer TOKEN` gets 401."""
    import socket

    import uvicorn

    app = server.streamable_http_app()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["type"] == "http" and headers.get(b"authorization") != f"Bearer {token}".encode():
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"no"})
            return
        await app(scope, receive, send)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # before the port is told: a client connecting early waits in the backlog, not refused
    port_file.write_text(str(listener.getsockname()[1]))
    config = uvicorn.Config(guarded, log_level="warning", lifespan="on")
    asyncio.run(uvicorn.Server(config).serve(sockets=[listener]))


def main() -> None:
    arguments = sys.argv[1:]
    if "--http" in arguments:
        index = arguments.index("--http")
        serve_http(Path(arguments[index + 1]), arguments[index + 2])
        return
    if "--fail-start" in arguments:
        print("cannot open the database", file=sys.stderr, flush=True)
        sys.exit(1)
    if "--child" in arguments:
        pid_file = Path(arguments[arguments.index("--child") + 1])
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pid_file.write_text(str(child.pid))
    if "--garbage" in arguments:

        @server.tool(description="Writes garbage on stdout.")
        def garble() -> str:
            os.write(1, b"this is not json-rpc\n")
            return "garbled"

    server.run("stdio")


if __name__ == "__main__":
    main()
