"""Starting a worker from an async function, never from a coroutine object.

Textual may cancel a worker before it starts: a newer worker of the same exclusive group replaces it (a key typed
in the history search), or the app quits. A worker given a coroutine object then leaves that coroutine never
awaited, and Python warns when it is collected ("coroutine ... was never awaited"). Given the function and its
arguments, the worker makes the coroutine only once it runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, TypeVarTuple, Unpack

from textual.dom import DOMNode
from textual.worker import Worker, WorkType

Arguments = TypeVarTuple("Arguments")


def start_worker(
    node: DOMNode,
    function: Callable[[Unpack[Arguments]], Coroutine[Any, Any, None]],
    *args: *Arguments,
    group: str,
    exclusive: bool = False,
) -> Worker[None]:
    """Run `function(*args)` (an async function, or a partial of one for keyword arguments) in a worker of
    `node`. A failure is the worker's own (`exit_on_error=False`): each worker reports what went wrong itself."""
    work = partial(function, *args)  # a partial of a partial is flattened: `func` is the async function
    if not inspect.iscoroutinefunction(work.func):
        raise TypeError(f"a worker needs an async function, not {function!r}")
    typed: WorkType[None] = work  # Textual's annotation infers Never for a callable given directly
    return node.run_worker(typed, group=group, exclusive=exclusive, exit_on_error=False)
