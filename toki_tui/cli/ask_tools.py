"""`toki ask --mcp [--yes]`: the MCP servers' tools offered with the question; with `--yes` the calls are run on the
servers and answered, reply after reply, until a reply calls none (without it they are printed as JSON, as for
`--tools`, by ask.py).

Without `--yes` no call is run: the calls are printed (as for `--tools`) and toki stops, so a script or the user
decides. A call of a tool that no MCP server offers (a local tool from `--tools`) also stops the loop and is
printed. At most MAX_ROUNDS replies with calls are answered in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import TYPE_CHECKING

from toki_tui.cli.common import UsageError, report
from toki_tui.core.mcp.calls import parse_arguments, tool_calls_of
from toki_tui.core.text import displayable_line

if TYPE_CHECKING:
    from toki_tui.cli.reply_printer import ReplyPrinter
    from toki_tui.core.attachments import Attachment
    from toki_tui.core.config.config_file import Config
    from toki_tui.core.mcp.manager import McpManager
    from toki_tui.core.session import ChatSession

MAX_ROUNDS = 20
"""Replies with tool calls answered in one `toki ask` run: a model calling tools in a loop stops here."""


def check_tool_flags(args: argparse.Namespace) -> None:
    if getattr(args, "yes", False) and not getattr(args, "mcp", False):
        raise UsageError("--yes runs the MCP tool calls the model makes: use it with --mcp")
    if getattr(args, "mcp", False) and getattr(args, "compare", None) is not None:
        raise UsageError(
            "--mcp cannot be combined with --compare: the MCP tools go to one model at a time "
            "(--tools FILE offers a tools file's tools to every compared model)"
        )


async def stream_with_mcp(
    session: ChatSession,
    prompt: str,
    printer: ReplyPrinter,
    attachments: tuple[Attachment, ...],
    manager: McpManager,
    *,
    run_calls: bool,
) -> None:
    try:
        async with contextlib.aclosing(session.send_batches(prompt, attachments)) as batches:
            async for batch in batches:
                printer.handle_batch(batch)
        printer.finish()
        for _ in range(MAX_ROUNDS):
            calls = tool_calls_of(session.reply.tool_calls if session.reply is not None else None)
            if not calls or not run_calls or any(manager.tool(call.name) is None for call in calls):
                if calls and not run_calls:
                    report("the reply calls tools; run again with --yes to let toki run MCP tool calls")
                return
            for call in calls:
                tool = manager.tool(call.name)
                assert tool is not None
                report(f"running {tool.exposed} (MCP server {tool.server}) for call {displayable_line(call.call_id)}")
                arguments = parse_arguments(call.arguments)
                if isinstance(arguments, str):
                    result = arguments
                else:
                    result = await asyncio.wrap_future(manager.call(call.name, arguments))
                # A server whose tools changed (notifications/tools/list_changed) offers its new list from now on.
                session.extra_tools = tuple(tool.definition() for tool in manager.tools())
                async with contextlib.aclosing(session.tool_result_batches(result, call.call_id)) as batches:
                    async for batch in batches:
                        printer.handle_batch(batch)
            printer.finish()
        report(f"stopped after {MAX_ROUNDS} rounds of tool calls")
    finally:
        await session.client.aclose()


def run_with_mcp(
    config: Config,
    session: ChatSession,
    prompt: str,
    printer: ReplyPrinter,
    attachments: tuple[Attachment, ...],
    *,
    run_calls: bool,
) -> None:
    """Start the configured servers, offer their tools with the request, and stream (see stream_with_mcp)."""
    from toki_tui.cli.mcp_command import report_failures, running_servers
    from toki_tui.core.tools_file import tool_names

    with running_servers(config, reserved_names=tool_names(session.params.tools)) as manager:
        report_failures(manager.states())
        session.extra_tools = tuple(tool.definition() for tool in manager.tools())
        asyncio.run(stream_with_mcp(session, prompt, printer, attachments, manager, run_calls=run_calls))
