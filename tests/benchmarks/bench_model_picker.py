"""Benchmark: the model picker at 200,000 model ids (issue 9: it took 12 s to open and ~5 s per keystroke).

Prints, for the ranking function alone and for the real picker screen driven by Pilot (headless): the time to
build the index / open the picker, and the time per keystroke while typing a few queries one character at a
time (median and worst): "filter+rows" is the picker's own work per key (target <= 50 ms), "key to idle" adds
Pilot's key delivery and repaint, whose floor the 10-model run shows. Prints figures, never fails on a number.

    python -m tests.benchmarks.bench_model_picker [--count 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static

from toki_tui.core.api.model_info import ModelInfo
from toki_tui.ui.screens.model_picker import ModelPickerScreen
from toki_tui.ui.screens.model_ranking import ModelIndex

QUERIES = ("openai/gpt-4o", "llama 70b instruct", "qwen2.5-coder", "zzz")
_VENDORS = ("openai", "anthropic", "meta-llama", "mistralai", "google", "qwen", "deepseek", "x-ai", "nvidia", "01-ai")
_FAMILIES = ("gpt-4o", "claude-3.5-sonnet", "llama-3.1", "mixtral", "gemma-2", "qwen2.5-coder", "deepseek-v3", "grok")
_VARIANTS = ("instruct", "chat", "base", "vision", "preview", "turbo", "mini")


def model_ids(count: int, seed: int = 9) -> list[str]:
    rng = random.Random(seed)
    ids = {
        f"{rng.choice(_VENDORS)}/{rng.choice(_FAMILIES)}-{rng.randint(1, 405)}b-{rng.choice(_VARIANTS)}-{index:06d}"
        for index in range(count)
    }
    return sorted(ids)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def summary(label: str, times: list[float]) -> None:
    print(f"  {label:<34} median {ms(statistics.median(times))}   worst {ms(max(times))}   ({len(times)} keys)")


def bench_ranking(models: list[ModelInfo]) -> None:
    started = time.perf_counter()
    index = ModelIndex(models)
    print(f"ranking alone: index of {len(models):,} built in {ms(time.perf_counter() - started)}")
    for query in QUERIES:
        times = []
        for end in range(1, len(query) + 1):
            started = time.perf_counter()
            index.rank(query[:end])
            times.append(time.perf_counter() - started)
        summary(f"typing {query!r}", times)


class PickerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bench")


async def bench_screen(models: list[ModelInfo]) -> None:
    app = PickerApp()
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        started = time.perf_counter()
        picker = ModelPickerScreen(models, current_model=models[len(models) // 2].id)
        await app.push_screen(picker)
        await pilot.pause()
        print(f"real screen: open with {len(models):,} models   {ms(time.perf_counter() - started)}")
        options = picker.query_one("#picker-options", OptionList)
        refresh_times: list[float] = []
        original = picker._refresh_options

        def timed_refresh(*args: Any) -> None:
            begun = time.perf_counter()
            original(*args)
            refresh_times.append(time.perf_counter() - begun)

        picker._refresh_options = timed_refresh  # type: ignore[method-assign]
        names = {" ": "space", "/": "slash", ".": "full_stop", "-": "minus"}
        for query in QUERIES:
            refresh_times.clear()
            wall: list[float] = []
            for char in query:
                begun = time.perf_counter()
                await pilot.press(names.get(char, char))
                await pilot.pause()
                wall.append(time.perf_counter() - begun)
            summary(f"typing {query!r} (filter+rows)", refresh_times)
            summary(f"typing {query!r} (key to idle)", wall)
            print(f"    {options.option_count} rows shown at the end")
            for _ in query:
                await pilot.press("backspace")
            await pilot.pause()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    models = [ModelInfo(id=model_id) for model_id in model_ids(args.count)]
    bench_ranking(models)
    asyncio.run(bench_screen(models))
    print("for comparison, the same screen with 10 models (Pilot's own cost per key is the floor of 'key to idle'):")
    asyncio.run(bench_screen(models[:10]))


if __name__ == "__main__":
    main()
