"""Where toki keeps its files. Nothing here touches the disk: the functions only compute paths.

`TOKI_CONFIG_DIR`, `TOKI_DATA_DIR` and `TOKI_CACHE_DIR` override the platformdirs folders, which is how tests
keep away from the developer's real config and history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "toki"
PRESETS_FOLDER = "presets"
"""The folder of preset files (`NAME.toml`), next to config.toml."""


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder of config.toml and user themes."""
    override = env.get("TOKI_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs  # deferred: `toki ask` with TOKI_*_DIR set never needs it

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder of the history database."""
    override = env.get("TOKI_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs  # deferred: `toki ask` with TOKI_*_DIR set never needs it

    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder of disposable caches (the model list)."""
    override = env.get("TOKI_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs  # deferred: `toki ask` with TOKI_*_DIR set never needs it

    return Path(platformdirs.user_cache_dir(APP_NAME))


def config_file(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "config.toml"


def history_file(env: Mapping[str, str] = os.environ) -> Path:
    return data_dir(env) / "history.sqlite3"


def user_themes_dir(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "themes"
