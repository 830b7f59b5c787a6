"""The thread the TUI's history reads and writes run on, so the event loop never waits for SQLite.

At 5,000 long messages a search or reading a branch to send it takes several frames' time (tests/ui/
test_app_store_off_loop.py): on the event loop that is several frames without keys or paint. One thread, taking
calls in the order they were made, keeps writes in order (a reply's checkpoints before its finish, the user's
message before the request) without relying on which of several threads gets the store's lock first. The store
is shared with it as is: HistoryStore serializes its one connection under a lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")


class StoreThread:
    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    def _submit(self, call: Callable[[], _T]) -> asyncio.Future[_T]:
        if self._executor is None:  # started on first use: the first frame needs no thread
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toki-store")
        return asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def run(self, call: Callable[[], _T], /) -> _T:
        """Run `call` on the store thread and give its result. The call runs even if the caller is cancelled
        meanwhile (Esc during a checkpoint): a write, once asked for, is never dropped half-way through a reply."""
        return await asyncio.shield(self._submit(call))

    async def read(self, call: Callable[[], _T], /) -> _T:
        """As run(), for a read whose caller may be replaced (a newer search, another conversation opened):
        if the caller is cancelled before the read started, the read is dropped."""
        return await self._submit(call)

    def close(self) -> None:
        """Let the thread end once the calls already asked for are done (the app is closing)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
