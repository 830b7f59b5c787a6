"""`toki models`: the endpoint's models with context length and price, as a table or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from toki_tui.cli.common import EXIT_API_ERROR, api_key_for, exit_code_for, load_settings, report
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.model_cache import save_cached_models
from toki_tui.core.api.model_info import ModelInfo, ModelList, with_configured_prices
from toki_tui.core.config import paths
from toki_tui.core.errors import TokiError
from toki_tui.core.text import displayable_line


def format_price(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.2f}/M"


def format_context(value: int | None) -> str:
    """The context length in tokens, exact and in one form for every row (128,000, 163,840, 2,000,000), so that the
    right-aligned column compares at a glance; "-" when the server did not say."""
    return "-" if value is None else f"{value:,}"


def print_models_table(models: list[ModelInfo], out: TextIO) -> None:
    has_context = any(model.context_length for model in models)
    has_price = any(
        model.prompt_price_per_million is not None or model.completion_price_per_million is not None for model in models
    )
    rows: list[list[str]] = []
    header = ["MODEL"]
    if has_context:
        header.append("CONTEXT")
    if has_price:
        header += ["INPUT", "OUTPUT"]
    for model in models:
        row = [displayable_line(model.id)]
        if has_context:
            row.append(format_context(model.context_length))
        if has_price:
            row += [
                format_price(model.prompt_price_per_million),
                format_price(model.completion_price_per_million),
            ]
        rows.append(row)
    if len(header) == 1:
        for row in rows:
            out.write(row[0] + "\n")
        return
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


async def _fetch(client: ChatClient) -> ModelList:
    try:
        return await client.list_models()
    finally:
        await client.aclose()


def run_models(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    try:
        config, resolved = load_settings(args)
        client = ChatClient(
            base_url=resolved.base_url,
            api_key=api_key_for(resolved),
            timeouts=config.timeouts,
            one_shot=True,
            key_source=resolved.key_source,
        )
        try:
            models = asyncio.run(_fetch(client))
        except TokiError as error:
            report(f"could not list the models of {resolved.base_url}: {error}")
            return EXIT_API_ERROR
        if models.truncated:
            report(models.note)
        elif not models:
            # Ollama with nothing pulled, LM Studio with nothing downloaded: an empty table would say nothing.
            report(f"the server at {resolved.base_url} lists no models (a model id can still be given with -m)")
        save_cached_models(paths.cache_dir(), resolved.name, models)
        shown = with_configured_prices(models, config.model_prices)
        if args.json:
            out.write(json.dumps([model.to_record() for model in shown], indent=2) + "\n")
        else:
            print_models_table(shown, out)
        return 0
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    except BrokenPipeError:
        return 0
