"""ServerState: what is known of one configured MCP server (McpManager keeps one per server)."""

from __future__ import annotations

from dataclasses import dataclass

from toki_tui.core.mcp.naming import McpTool


@dataclass(frozen=True)
class ServerState:
    name: str
    status: str
    """"disabled", "starting", "ready" or "failed"."""
    where: str
    tools: tuple[McpTool, ...] = ()
    reason: str = ""
    """Why it failed (untrusted: it may quote the server's own error output)."""

    def describe(self) -> str:
        if self.status == "ready":
            return f"ready, {len(self.tools)} tool{'s' if len(self.tools) != 1 else ''}"
        if self.status == "failed":
            return f"failed: {self.reason}"
        if self.status == "disabled":
            return "disabled (enabled = false in the config)"
        return self.status

    @property
    def advice(self) -> str:
        """What to do about a failed server (the end of its notification)."""
        return f"check [mcp_servers.{self.name}] in the config, or set enabled = false there"
