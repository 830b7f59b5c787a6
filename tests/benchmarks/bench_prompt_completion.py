"""What Tab in the prompt costs: ranking a model list of 20,000 ids (the most a list keeps) for `/model` and for
the hint shown while typing, and listing a folder of 5,000 entries (the most one completion reads).

Run: python -m tests.benchmarks.bench_prompt_completion   (prints figures; never fails on a number)
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from toki_tui.ui.prompt_completion import rank
from toki_tui.ui.screens.path_completion import list_paths

MODELS = 20_000
FILES = 5_000
RUNS = 20


def best_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    ids = [f"vendor{n % 50}/model-{n}-chat" for n in range(MODELS)]
    print(f"rank {MODELS} ids, 'vendor1' (many prefix matches): {best_ms(lambda: rank('vendor1', ids)):.2f} ms")
    print(f"rank {MODELS} ids, '-42-' (substring matches):       {best_ms(lambda: rank('-42-', ids)):.2f} ms")
    with tempfile.TemporaryDirectory() as folder:
        for n in range(FILES):
            (Path(folder) / f"file-{n}.md").write_text("")
        listing = best_ms(lambda: list_paths(folder + "/file-1"))
        print(f"list a folder of {FILES} entries, prefix 'file-1':  {listing:.2f} ms")


if __name__ == "__main__":
    main()
