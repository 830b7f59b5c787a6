"""What every subcommand needs: the config, the endpoint, the store, and one way to report an error."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TextIO

from toki_tui.cli.arguments import flag
from toki_tui.core.config import paths
from toki_tui.core.config.config_file import Config, ResolvedEndpoint, load_config, require_api_key, resolve_endpoint
from toki_tui.core.errors import ConfigError, TokiError
from toki_tui.core.text import displayable

if TYPE_CHECKING:
    from toki_tui.core.config.presets import Preset
    from toki_tui.core.store.history_store import HistoryStore

EXIT_API_ERROR = 1
EXIT_USAGE = 2


class UsageError(TokiError):
    """A bad flag or argument: exit code 2."""


def report(message: str, stream: TextIO | None = None) -> None:
    """One readable line on stderr, prefixed like every other toki error."""
    target = stream if stream is not None else sys.stderr
    target.write(f"toki: {displayable(message)}\n")
    target.flush()


def fail(message: str, code: int) -> NoReturn:
    report(message)
    raise SystemExit(code)


def load_settings(args: argparse.Namespace) -> tuple[Config, ResolvedEndpoint]:
    """The config file and the endpoint the flags and environment pick; a ConfigError is the caller's to report."""
    config, resolved, _ = load_settings_and_preset(args)
    return config, resolved


def load_settings_and_preset(args: argparse.Namespace) -> tuple[Config, ResolvedEndpoint, Preset | None]:
    """load_settings, with the preset `--preset NAME` picks (None without the flag). The preset's model,
    endpoint, system prompt and its role are put in the flags not given (flags > preset > environment > config:
    core/config/presets.py), so everything downstream treats them as flags; its parameters, JSON mode and tools
    are the caller's to put over the config's (Preset.params_over), under the flags."""
    config = load_config(paths.config_file())
    preset = None
    name = flag(args, "preset")
    if name is not None:
        from toki_tui.core.config.presets import find_preset

        preset = find_preset(config.presets, config.preset_problems, name)
        for option, value in (
            ("model", preset.model),
            ("endpoint", preset.endpoint),
            ("system", preset.system_prompt),
            ("system_role", preset.system_role),
        ):
            if value is not None and getattr(args, option, None) is None:
                setattr(args, option, value)
    resolved = resolve_endpoint(
        config,
        os.environ,
        endpoint=flag(args, "endpoint"),
        base_url=flag(args, "base_url"),
        model=flag(args, "model"),
    )
    return config, resolved, preset


def open_store() -> HistoryStore:
    """The history store, opened; its notices (a corrupt file moved aside, replies marked interrupted) go to stderr."""
    from toki_tui.core.store.history_store import HistoryStore  # not imported by `toki ask --no-save`

    store = HistoryStore(paths.history_file())
    report_ = store.open()
    for notice in report_.notices:
        report(notice)
    return store


def run_on_history(work: Callable[[HistoryStore], int]) -> int:
    """Open the history, run `work` on it and close it. A TokiError (opening it, or from `work`) is reported and
    gives its exit code; a reader that went away (`| head`) is a success."""
    try:
        store = open_store()
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    try:
        return work(store)
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    except BrokenPipeError:
        return 0
    finally:
        store.close()


def api_key_for(resolved: ResolvedEndpoint) -> str | None:
    """The key to send: required unless the endpoint has no key options at all (a local server)."""
    return require_api_key(resolved) if resolved.key_required else resolved.api_key


def exit_code_for(error: TokiError) -> int:
    return EXIT_USAGE if isinstance(error, ConfigError | UsageError) else EXIT_API_ERROR
