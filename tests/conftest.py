"""Shared fixtures: the loopback fake server and environments that keep tests away from the developer's
real config, history, API key and proxies."""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from tests.fakes.server import FakeServer

TEST_API_KEY = "sk-test-1234567890"

# Hypothesis keeps its example database and caches in .hypothesis/ in the working directory, which is the
# checkout: no test writes there, so they live in the temporary folder (kept between runs, one per user).
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / f"toki-tests-hypothesis-{os.getuid()}"))

# Byte-code is cached in the temporary folder too (kept between runs, one per user), never beside the sources, and
# even when PYTHONDONTWRITEBYTECODE is set: without a cache every test process (the workers, and each `toki`
# the tests start) compiles toki_tui and rewrites the tests' assertions anew. Set here in the environment, before
# pytest-xdist starts its workers, so they and every subprocess inherit it.
_BYTE_CODE_CACHE = str(Path(tempfile.gettempdir()) / f"toki-tests-pycache-{os.getuid()}")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPYCACHEPREFIX"] = _BYTE_CODE_CACHE
sys.dont_write_bytecode = False
sys.pycache_prefix = _BYTE_CODE_CACHE

# Proxy variables would route loopback requests through a proxy (httpx honours them), so tests drop them.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class IsolatedDirs:
    config_dir: Path
    data_dir: Path
    cache_dir: Path


def _make_dirs(root: Path) -> IsolatedDirs:
    dirs = IsolatedDirs(config_dir=root / "config", data_dir=root / "data", cache_dir=root / "cache")
    for folder in (dirs.config_dir, dirs.data_dir, dirs.cache_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return dirs


class PublicNetworkError(OSError):
    """A test tried to reach something other than this machine."""


_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _checked_address(family: int, address: object) -> None:
    if family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else address
        if not _is_loopback(host):
            raise PublicNetworkError(f"tests stay on this machine: a connection to {address!r} was refused")


@pytest.fixture(autouse=True, scope="session")
def _no_public_network() -> Iterator[None]:
    """Every test process refuses connections and name look-ups beyond loopback (the fake server is on
    127.0.0.1), so a test that would reach the internet fails instead of depending on it. Subprocesses are kept
    local by their environment (TOKI_BASE_URL on the fake server, no proxies)."""
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> None:
        _checked_address(self.family, address)
        connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        _checked_address(self.family, address)
        return connect_ex(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and not _is_loopback(host):
            raise PublicNetworkError(f"tests stay on this machine: a look-up of {host!r} was refused")
        return getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    patch = pytest.MonkeyPatch()
    patch.setattr(socket.socket, "connect", guarded_connect)
    patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    try:
        yield
    finally:
        patch.undo()


def _is_inherited_noise(name: str) -> bool:
    return name.startswith("TOKI_") or name.lower() in _PROXY_VARIABLES


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A fresh FakeServer on 127.0.0.1:<free port>, stopped (all connections cut) after the test."""
    server = FakeServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def toki_env(tmp_path: Path, fake_server: FakeServer) -> dict[str, str]:
    """The environment for running `toki` as a subprocess against `fake_server`: the parent environment
    without any TOKI_* or proxy variable, plus private config/data/cache dirs and a test key."""
    dirs = _make_dirs(tmp_path / "toki")
    env = {name: value for name, value in os.environ.items() if not _is_inherited_noise(name)}
    env.update(
        TOKI_CONFIG_DIR=str(dirs.config_dir),
        TOKI_DATA_DIR=str(dirs.data_dir),
        TOKI_CACHE_DIR=str(dirs.cache_dir),
        TOKI_BASE_URL=fake_server.base_url,
        TOKI_API_KEY=TEST_API_KEY,
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IsolatedDirs:
    """For in-process tests: TOKI_CONFIG_DIR / TOKI_DATA_DIR / TOKI_CACHE_DIR point into tmp_path, and every
    other TOKI_* variable (a real TOKI_API_KEY or TOKI_BASE_URL) and proxy variable is removed."""
    for name in list(os.environ):
        if _is_inherited_noise(name):
            monkeypatch.delenv(name, raising=False)
    dirs = _make_dirs(tmp_path / "toki")
    monkeypatch.setenv("TOKI_CONFIG_DIR", str(dirs.config_dir))
    monkeypatch.setenv("TOKI_DATA_DIR", str(dirs.data_dir))
    monkeypatch.setenv("TOKI_CACHE_DIR", str(dirs.cache_dir))
    return dirs


def pytest_collection_finish(session: pytest.Session) -> None:
    """Each test process runs with the garbage collector `toki` runs with (cli/tui.py, tune_garbage_collector):
    what is alive once the tests are collected (modules, the tests, their parameters) is frozen out of every full
    collection's walk, and full collections come between replies (ui/gc_policy.py), as in the app, rather than
    every few thousand allocations of the default thresholds, each walking the whole test process."""
    from toki_tui.cli.tui import tune_garbage_collector

    gc.collect()
    tune_garbage_collector()
