"""The garbage-collector tuning runs only on the collector it was measured with (CPython's three generations)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from toki_tui.cli.tui import pause_garbage_collector, tune_garbage_collector
from toki_tui.ui.gc_policy import collect_between_turns, generational_collector


@pytest.fixture(autouse=True)
def restored_collector() -> Iterator[None]:
    thresholds, enabled, frozen = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count() > 0
    yield
    gc.unfreeze()
    if frozen:  # as the suite left it (tests/conftest.py runs tune_garbage_collector once the tests are collected)
        gc.freeze()
    gc.set_threshold(*thresholds)
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.fixture
def collections(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """gc.collect calls, with enough promoted since the last full collection to ask for one."""
    calls: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: calls.append(generation) or 0)
    monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 5))
    return calls


def other_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "implementation", SimpleNamespace(name="pypy", version=sys.implementation.version))


def incremental_cpython(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))


def two_generations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc, "get_threshold", lambda: (2000, 10))


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or sys.version_info >= (3, 14), reason="the tuned collector's interpreter"
)
def test_on_cpython_with_three_generations_the_policy_tunes_and_collects(collections: list[int]) -> None:
    assert generational_collector()
    pause_garbage_collector()
    assert not gc.isenabled()
    frozen = gc.get_freeze_count()
    tune_garbage_collector()
    assert gc.isenabled() and gc.get_threshold() == (10_000, 5, 100)
    assert gc.get_freeze_count() >= frozen
    assert collect_between_turns() and collections == [2]


@pytest.mark.parametrize("interpreter", [other_implementation, incremental_cpython, two_generations])
def test_where_its_assumptions_do_not_hold_the_policy_does_nothing(
    monkeypatch: pytest.MonkeyPatch, collections: list[int], interpreter: object
) -> None:
    assert callable(interpreter)
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    interpreter(monkeypatch)
    assert not generational_collector()
    gc.enable()
    pause_garbage_collector()
    assert gc.isenabled()
    tune_garbage_collector()
    monkeypatch.undo()  # read the real thresholds again
    assert gc.isenabled() and gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == frozen
    interpreter(monkeypatch)
    monkeypatch.setattr(gc, "collect", lambda generation=2: collections.append(generation) or 0)
    monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 5))
    assert not collect_between_turns() and collections == []
