"""`toki config path|init|show`: find, create and inspect the config file."""

from __future__ import annotations

import argparse
import os
import sys

from toki_tui.cli.common import EXIT_USAGE, exit_code_for, load_settings, report
from toki_tui.core.config import paths
from toki_tui.core.config.config_file import default_config_text, folder_problem
from toki_tui.core.config.model import Config, parameters_for_endpoint, tools_file_for_endpoint
from toki_tui.core.config.preset_loading import preset_problem_lines
from toki_tui.core.errors import TokiError
from toki_tui.core.pricing import format_cost
from toki_tui.core.text import displayable, displayable_line


def _write_private(path: os.PathLike[str], text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def run_config_command(args: argparse.Namespace) -> int:
    path = paths.config_file()
    if args.action == "path":
        print(path)
        return 0
    if args.action == "init":
        if path.exists():
            report(f"{path} already exists; edit it, or move it away to start over")
            return EXIT_USAGE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_private(path, default_config_text())
        except OSError as error:
            report(folder_problem(path) or f"cannot write {path}: {error.strerror or error}")
            return EXIT_USAGE
        print(f"wrote an example config to {path}")
        return 0
    try:
        config, resolved = load_settings(args)
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    if args.action == "keys":
        from toki_tui.cli.keys_command import print_keys  # imports Textual: only for this command

        return print_keys(config.keymap, as_json=args.json)
    out = sys.stdout
    out.write(f"config file:   {path}{'' if path.exists() else ' (not created yet; toki config init)'}\n")
    out.write(f"history file:  {paths.history_file()}\n")
    # Every value below comes from the config, the environment or a flag: one displayable line each.
    out.write(f"endpoint:      {displayable_line(resolved.name)} ({displayable_line(resolved.base_url)})\n")
    out.write(f"model:         {displayable_line(resolved.model)}\n")
    out.write(f"API key:       {'from ' + displayable_line(resolved.key_source) if resolved.api_key else 'not set'}\n")
    out.write(f"theme:         {displayable_line(config.theme)}\n")
    parameters = config.parameters.to_record()
    out.write(
        "parameters:    "
        + displayable_line(", ".join(f"{k}={v}" for k, v in parameters.items()) or "server defaults")
        + "\n"
    )
    left_out = f" ({len(config.preset_problems)} left out: named on stderr)" if config.preset_problems else ""
    out.write("presets:       " + displayable(", ".join(sorted(config.presets)) or "none") + left_out + "\n")
    out.write("tools:         " + displayable_line(_tools_line(config, resolved.name)) + "\n")
    servers = [name + ("" if server.enabled else " (disabled)") for name, server in config.mcp_servers.items()]
    out.write("MCP servers:   " + displayable(", ".join(servers) or "none") + " (toki mcp list: their state)\n")
    budget = config.budget_per_day
    out.write("budget/day:    " + ("none" if budget is None else format_cost(budget).removeprefix("≈")) + "\n")
    prices = config.model_prices
    out.write("prices:        " + ("from the server's model list" if not prices else "per 1M tokens, in / out") + "\n")
    for model, price in sorted(prices.items()):
        out.write(f"  {displayable_line(model)}  {price.input_per_million:g} / {price.output_per_million:g}\n")
    for line in preset_problem_lines(config.preset_problems):
        report(line)
    return 0


def _tools_line(config: Config, endpoint_name: str) -> str:
    """The tools file requests on this endpoint carry, its tools by name, and the tools bound to a command."""
    tools_file = tools_file_for_endpoint(config, endpoint_name)
    tools = parameters_for_endpoint(config, endpoint_name).tools or ()
    names = [str(tool.get("function", {}).get("name", "?")) for tool in tools]
    shown = f"{tools_file}: {', '.join(names)}" if tools_file is not None else "none"
    if config.tool_commands:
        shown += f" (commands for: {', '.join(sorted(config.tool_commands))})"
    return shown
