"""`create_app()`: the one place that builds TokiApp, used by the CLI, the tests, the screenshots and benchmarks.

Paths default to toki_tui.core.config.paths (which honour TOKI_CONFIG_DIR / TOKI_DATA_DIR / TOKI_CACHE_DIR), so a test
that sets those never touches the developer's real files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from toki_tui.core.config import paths as toki_paths
from toki_tui.core.config.config_file import Config
from toki_tui.core.config.endpoints import ResolvedEndpoint
from toki_tui.core.config.presets import Preset
from toki_tui.ui.app import AppPaths, ClientFactory, TokiApp
from toki_tui.ui.themes import load_all_themes

if TYPE_CHECKING:
    import httpx

    from toki_tui.core.api.client import ChatClient
    from toki_tui.core.store.history_store import HistoryStore

STREAM_READ_INTERVAL = 0.05
"""Seconds between two reads of a streaming reply's socket, once it flows (the first bytes are read as they come).
The live reply shows what arrived at most 10 times a second (ui/coalescer.py), so reading more often than every
50 ms only adds wake-ups (at 200 tokens/s, one per token through the HTTP stack, the SSE decoder and the reply
pump)."""


def default_client_factory(
    config: Config, transport: httpx.AsyncBaseTransport | None = None, max_retries: int = 2
) -> ClientFactory:
    def build(endpoint: ResolvedEndpoint) -> ChatClient:
        # Imported here, not at the top: httpx is many imports that the first frame does not need (the app
        # builds its client on first use, after the first frame).
        from toki_tui.core.api.client import ChatClient

        return ChatClient(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            key_source=endpoint.key_source,
            timeouts=config.timeouts,
            max_retries=max_retries,
            transport=transport,
            read_interval=STREAM_READ_INTERVAL,
        )

    return build


def create_app(
    *,
    config: Config,
    endpoint: ResolvedEndpoint,
    store: HistoryStore | None = None,
    resume: str | None = None,
    preset: Preset | None = None,
    client_factory: ClientFactory | None = None,
    config_file: Path | None = None,
    cache_dir: Path | None = None,
    themes_dir: Path | None = None,
    history_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    on_started: Callable[[], object] | None = None,
) -> TokiApp:
    """Build the app. `store`, if given, must already be open; without it the app opens `history_file` itself,
    after the first frame (before it, to resume). `resume` is a conversation id, prefix or "last"; `preset` (from
    `--preset`) is applied to the first conversation; `on_started` runs once, after the first frame is drawn."""
    environment = os.environ if env is None else env
    app_paths = AppPaths(
        config_file=config_file or toki_paths.config_file(environment),
        cache_dir=cache_dir or toki_paths.cache_dir(environment),
        themes_dir=themes_dir or toki_paths.user_themes_dir(environment),
        history_file=history_file or toki_paths.history_file(environment),
    )
    return TokiApp(
        config=config,
        endpoint=endpoint,
        store=store,
        client_factory=client_factory or default_client_factory(config),
        paths=app_paths,
        themes=load_all_themes(app_paths.themes_dir),
        resume=resume,
        preset=preset,
        on_started=on_started,
    )
