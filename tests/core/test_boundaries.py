"""The boundaries of docs/architecture.md, enforced: the core never loads the UI, nothing happens at import, and the
built-in themes ship inside the wheel."""

from __future__ import annotations

import ast
import os
import pkgutil
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import toki_tui
import toki_tui.core

ROOT = Path(toki_tui.__file__).resolve().parent.parent


def _modules(package: str) -> list[str]:
    """Every module under `package`, its subpackages' included."""
    module = __import__(package, fromlist=["__path__"])
    return [info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")]


def test_the_core_never_imports_textual_rich_or_the_ui() -> None:
    modules = _modules("toki_tui.core")
    assert "toki_tui.core.api.client" in modules and "toki_tui.core.store.history_store" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(m for m in ('textual', 'rich', 'toki_tui.ui') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_importing_every_module_touches_no_file(tmp_path: Path) -> None:
    modules = _modules("toki_tui.core") + _modules("toki_tui.cli") + _modules("toki_tui.ui")
    modules += _modules("toki_tui.ui.screens") + _modules("toki_tui.ui.widgets")
    env = dict(os.environ)
    for name in ("CONFIG", "DATA", "CACHE"):
        env[f"TOKI_{name}_DIR"] = str(tmp_path / name.lower())
    env["HOME"] = str(tmp_path / "home")
    code = f"import importlib\nfor name in {modules!r}: importlib.import_module(name)\n"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, timeout=120, check=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_the_built_in_themes_ship_inside_the_wheel(tmp_path: Path) -> None:
    # Built from a copy of the sources: setuptools leaves build/ and *.egg-info/ in the folder it builds, which
    # must not be the checkout (a linter run on a copy of it without .gitignore would then see them).
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("toki_tui", "themes"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    # The build backend pyproject.toml names, called as pip calls it (PEP 517; pip's own start-up is not needed).
    build = "import sys\nfrom setuptools import build_meta\nbuild_meta.build_wheel(sys.argv[1])\n"
    subprocess.run([sys.executable, "-c", build, str(wheels)], cwd=source, check=True, capture_output=True, timeout=300)
    [wheel] = wheels.glob("toki_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for theme in ("toki-dark", "toki-light", "toki-high-contrast"):
        assert f"toki_tui/themes/{theme}.toml" in names
    assert any(name.startswith("toki_tui/ui/styles/") and name.endswith(".tcss") for name in names)


def test_the_tui_raises_textuals_frame_rate_cap_before_textual_is_imported() -> None:
    """`toki` sets TEXTUAL_FPS (unless the user did) in run_tui; Textual reads it once, when first imported, so
    nothing on the way there (argument parsing, config, the store) may import Textual first."""
    from toki_tui.cli.tui import raise_frame_rate_cap

    chosen = {"TEXTUAL_FPS": "30"}
    raise_frame_rate_cap(chosen)
    assert chosen == {"TEXTUAL_FPS": "30"}  # the user's own choice stands
    unset: dict[str, str] = {}
    raise_frame_rate_cap(unset)
    assert unset == {"TEXTUAL_FPS": "120"}

    code = (
        "import os, sys\n"
        "os.environ.pop('TEXTUAL_FPS', None)\n"
        "import toki_tui.cli, toki_tui.cli.tui_command, toki_tui.cli.common, toki_tui.cli.tui\n"
        "before = 'textual' in sys.modules\n"
        "toki_tui.cli.tui.raise_frame_rate_cap()\n"
        "from toki_tui.ui.factory import create_app\n"
        "import textual.constants\n"
        "print(before, textual.constants.MAX_FPS)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "120"]


def test_the_tui_command_turns_the_garbage_collector_back_on_when_it_cannot_start(tmp_path: Path) -> None:
    """`toki` pauses the collector until its first frame; a start that fails first (a broken config file) must
    not leave the process without one."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text("this is not = = toml\n")
    env = {**os.environ, "TOKI_CONFIG_DIR": str(config_dir), "TOKI_DATA_DIR": str(tmp_path / "data")}
    env["TOKI_CACHE_DIR"] = str(tmp_path / "cache")
    code = (
        "import argparse, gc\n"
        "from toki_tui.cli.tui_command import run_tui_command\n"
        "code = run_tui_command(argparse.Namespace(endpoint=None, base_url=None, model=None, resume=None))\n"
        "print(code, gc.isenabled())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["2", "True"], result.stderr
    assert "config.toml" in result.stderr


def test_the_tui_runs_with_a_short_thread_switch_interval(tmp_path: Path) -> None:
    """Textual's output thread waits for the GIL while the main thread is busy; `toki` shortens the wait for the
    TUI (the first frame reached a pty ~8.5 ms after it was composed, ~2 ms with it). `toki ask` keeps Python's."""
    env = {**os.environ, "TOKI_CONFIG_DIR": str(tmp_path / "config"), "TOKI_DATA_DIR": str(tmp_path / "data")}
    env["TOKI_CACHE_DIR"] = str(tmp_path / "cache")
    code = (
        "import argparse, sys\n"
        "import toki_tui.ui.factory\n"
        "class App:\n"
        "    startup_error = None\n"
        "    return_code = 0\n"
        "    def run(self):\n"
        "        print(sys.getswitchinterval())\n"
        "    def close_history(self):\n"
        "        pass\n"
        "    def stop_mcp(self):\n"
        "        pass\n"
        "toki_tui.ui.factory.create_app = lambda **kwargs: App()\n"
        "print(sys.getswitchinterval())\n"
        "from toki_tui.cli.tui_command import run_tui_command\n"
        "run_tui_command(argparse.Namespace(endpoint=None, base_url=None, model=None, resume=None))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert [float(line) for line in result.stdout.split()] == [0.005, 0.0005]


def _imports_of(path: Path, modules: set[str]) -> set[str]:
    """The toki_tui modules `path` imports anywhere (top level, in functions, under TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("toki_tui"):
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("toki_tui"))
    return found & modules


def test_the_core_has_no_import_cycles() -> None:
    """Each core module can be read on its own terms: nothing it imports imports it back, even lazily."""
    paths = {
        name: ROOT / (name.replace(".", "/") + ".py")
        for name in ("toki_tui.core", *_modules("toki_tui.core"))
        if (ROOT / (name.replace(".", "/") + ".py")).exists()
    }
    graph = {name: _imports_of(path, set(paths)) - {name} for name, path in paths.items()}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        for imported in sorted(graph[name]):
            if imported in trail:
                cycles.append([*trail[trail.index(imported) :], imported])
            elif imported not in done:
                done.add(imported)
                visit(imported, [*trail, imported])

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            done.add(name)
            visit(name, [name])
    assert cycles == [], [" -> ".join(cycle) for cycle in cycles]
