"""What saving the config costs now that it edits the user's file in place (tomlkit), and what it does not cost.

    python -m tests.benchmarks.bench_config_save [--runs N]

Prints: the time to import tomlkit in a fresh interpreter (paid once, on the first save, never at start-up),
the time to import toki_tui.core.config.config_file (the start-up path; tomlkit must not be among its
modules), and the median
time of a theme save and an API key save into the commented example config (`toki config init`).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toki_tui.core.config.config_file import default_config_text, load_config, with_changes, with_endpoint
from toki_tui.core.config.in_place_save import save_config


def fresh_import_ms(statement: str) -> float:
    code = f"import time\nstart = time.perf_counter()\n{statement}\nprint((time.perf_counter() - start) * 1000)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout)


def median_ms(action: object, runs: int) -> float:
    assert callable(action)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    imports = [fresh_import_ms("import tomlkit") for _ in range(5)]
    print(f"import tomlkit (fresh interpreter, median of 5):   {statistics.median(imports):7.1f} ms")
    config_imports = [fresh_import_ms("import toki_tui.core.config.config_file") for _ in range(5)]
    print(f"import toki_tui.core.config.config_file (median of 5):         {statistics.median(config_imports):7.1f} ms")
    check = "import sys, toki_tui.core.config.config_file\nassert 'tomlkit' not in sys.modules"
    fresh_import_ms(check)
    print("tomlkit loaded by importing the config module:      no")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(default_config_text())
        themes = iter(["toki-light", "toki-dark"] * runs)
        theme_ms = median_ms(lambda: save_config(with_changes(load_config(path), theme=next(themes)), path), runs)
        print(f"theme save into the example config (median of {runs}): {theme_ms:7.2f} ms")

        def save_key() -> None:
            config = load_config(path)
            toki = config.endpoints["toki"]
            save_config(with_endpoint(config, dataclasses.replace(toki, api_key=f"sk-{time.perf_counter_ns()}")), path)

        print(f"API key save (median of {runs}):                    {median_ms(save_key, runs):7.2f} ms")
        print(f"file size after the saves: {path.stat().st_size} bytes (example: {len(default_config_text())})")


if __name__ == "__main__":
    main()
