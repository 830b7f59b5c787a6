"""No history read or write holds the event loop: keys and frames go on while the store works.

The loop's lag is measured by a callback asking to run every 5 ms: the longest it was late is the longest the loop
was held. The exact guard is the other assertion: no store call runs on the event loop's thread at all, which
fails on any regression whatever the machine's load. The lag bound, MAX_LAG, only catches the loop being held
some other way while the store works (a lock shared with the store thread, say): it is 250 ms, because on a
2-core CI machine running the suite in parallel workers the loop is late by 10-150 ms now and then with no store
call at all (garbage collection, other processes, the store thread holding the GIL), and a call that hangs in
the second test would hold it for a whole second.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from toki_tui.core.store.history_store import Conversation, HistoryStore, ImportedMessage
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList

MAX_LAG = 0.250
"""The longest the event loop may be held by any step (see the module's docstring for why this value)."""
TICK = 0.005
HANG_SECONDS = 3.0
"""How long a gated store call waits to be released: far past MAX_LAG, so a call on the loop cannot pass, and long
enough that a busy machine releases it before it gives up waiting."""

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "theta",
    "kappa",
    "lambda",
    "sigma",
    "omega",
    "river",
    "stone",
    "cloud",
]


class LoopLag:
    """When the event loop ran a callback it was asked to run every TICK seconds: how late it was, when."""

    def __init__(self) -> None:
        self.gaps: list[tuple[float, float]] = []
        self._last = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._last = time.perf_counter()
        self._handle = asyncio.get_running_loop().call_later(TICK, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((self._last, now))
        self._last = now
        self._handle = asyncio.get_running_loop().call_later(TICK, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def calm(self) -> bool:
        """The last 0.1 s went by with every tick on time: what a step drew is drawn, the next can start."""
        recent = [gap for gap in self.gaps if gap[1] > time.perf_counter() - 0.1]
        return len(recent) >= 5 and all(end - begin - TICK < MAX_LAG for begin, end in recent)

    def worst_during(self, calls: list[StoreCall]) -> float:
        """The longest the loop was held while a store call ran: of each late tick, the part of its wait that
        overlaps a store call. The app's own drawing, before or after a call, holds the loop too (a screen of long
        Markdown messages takes a while); that is not what this test is about."""
        return max(
            (
                min(end, call.end) - max(begin, call.start) - TICK
                for begin, end in self.gaps
                if end - begin - TICK >= MAX_LAG / 5
                for call in calls
                if call.start < end and begin < call.end
            ),
            default=0.0,
        )


@dataclass(frozen=True)
class StoreCall:
    name: str
    on_loop: bool
    start: float
    end: float


WATCHED = (
    "resolve_conversation_ref",
    "get_conversation",
    "latest_messages",
    "older_messages",
    "branch",
    "search",
    "list_conversations",
    "rename_conversation",
    "update_conversation_settings",
    "create_conversation",
    "add_message",
    "start_reply",
    "checkpoint_reply",
    "finish_reply",
)


class WatchedStore(HistoryStore):
    """A history that notes each call (which thread, when) and can make chosen calls hang until the test
    releases them (at most HANG_SECONDS each): a slow disk. On the event loop a hanging call would hold every
    frame that long; on the store thread the app goes on meanwhile."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: list[StoreCall] = []
        self.hang_in: set[str] = set()
        self.hung: list[str] = []
        self.release = threading.Event()

    def watched(self, name: str, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            if name in self.hang_in:
                self.hang_in.discard(name)
                self.hung.append(name)
                self.release.wait(HANG_SECONDS)
                self.release.clear()
            return getattr(HistoryStore, name)(self, *args, **kwargs)
        finally:
            on_loop = threading.current_thread() is threading.main_thread()
            self.calls.append(StoreCall(name, on_loop, start, time.perf_counter()))


def _watch(name: str) -> Callable[..., Any]:
    def method(self: WatchedStore, *args: Any, **kwargs: Any) -> Any:
        return self.watched(name, *args, **kwargs)

    return method


for _name in WATCHED:
    setattr(WatchedStore, _name, _watch(_name))


def seed_long_conversation(store: HistoryStore, count: int) -> str:
    """One conversation of `count` messages of ~200 words each, stored in one transaction (as an import)."""
    rng = random.Random(5)
    now = time.time()
    messages = [
        ImportedMessage(
            parent_index=index - 1 if index else None,
            role="user" if index % 2 == 0 else "assistant",
            content=" ".join(rng.choice(WORDS) for _ in range(200)),
            created_at=now - count + index,
        )
        for index in range(count)
    ]
    conversation = Conversation(
        id="5" * 32,
        title="five thousand",
        created_at=now - count,
        updated_at=now,
        endpoint="toki",
        model="seed/model",
        system_prompt=None,
        params={},
        current_leaf_id=count - 1,
        archived=False,
        pinned=False,
        message_count=0,
    )
    return store.import_conversation(conversation, messages).id


class Steps:
    """Runs the test's steps one at a time, each once the loop is calm, noting the loop's lag during each."""

    def __init__(self, pilot: Pilot[Any], store: WatchedStore) -> None:
        self.pilot, self.store = pilot, store
        self.lag = LoopLag()
        self.lags: dict[str, float] = {}

    async def run(self, name: str, step: Callable[[], Awaitable[object]]) -> None:
        await wait_until(self.pilot, self.lag.calm)
        first = len(self.store.calls)
        await step()
        await wait_until(self.pilot, self.lag.calm)
        self.lags[name] = self.lag.worst_during(self.store.calls[first:])

    def check(self, max_lag: float = MAX_LAG, *, lag_free_of: tuple[str, ...] = ()) -> None:
        """No store call on the loop's thread, in any step; and the loop's lag under `max_lag` in every step but
        `lag_free_of` (steps whose loop work is not the store's and scales with the machine's load)."""
        on_loop = sorted({call.name for call in self.store.calls if call.on_loop})
        assert on_loop == [], f"store calls made on the event loop: {on_loop}"
        checked = {name: lag for name, lag in self.lags.items() if name not in lag_free_of}
        assert max(checked.values()) < max_lag, {name: round(lag * 1000) for name, lag in self.lags.items()}


def shown_entries(harness: AppHarness) -> list[str]:
    return [entry.conversation_id for entry in harness.screen.query_one(HistoryList)._entries]


async def test_a_5000_message_conversation_is_opened_searched_paged_and_continued_without_holding_the_loop(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    (tmp_path / "data").mkdir()
    store = WatchedStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    conversation_id = seed_long_conversation(store, 5_000)
    fake_server.script(stream_text("Noted."))
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        screen, view = harness.screen, harness.screen.query_one(ConversationView)
        steps = Steps(pilot, store)
        steps.lag.start()

        async def open_it() -> None:
            screen.history.open_conversation(conversation_id)
            await wait_until(pilot, lambda: screen.session.conversation_id == conversation_id and view.messages)

        async def search() -> None:
            screen.query_one(HistoryList).post_message(HistoryList.SearchChanged("gamma delta"))
            await wait_until(pilot, lambda: shown_entries(harness) == [conversation_id])

        async def older() -> None:
            known = len(view.messages)
            view.post_message(ConversationView.OlderMessagesWanted(view.messages[0].id or 0))
            await wait_until(pilot, lambda: len(view.messages) > known)

        async def send() -> None:  # reads the 5,000-message branch as the request's context, stores the turn
            screen.query_one("#prompt").focus()
            await enter_text(pilot, "more")
            await pilot.press("enter")
            await wait_until(pilot, lambda: fake_server.chat_requests() and not screen.streaming)

        for name, step in (("open", open_it), ("search", search), ("older", older), ("send", send)):
            await steps.run(name, step)
        steps.lag.stop()
        await harness.app.workers.wait_for_complete()
    # Sending also turns 5,000 messages into the request's context on the loop (the session's and the client's
    # work, not the store's, and what a loaded machine stretches most): its store calls are checked for the thread
    # they ran on, its lag is not.
    steps.check(lag_free_of=("send",))  # before the test reads the store itself, below
    [request] = fake_server.chat_requests()
    assert len(request.json()["messages"]) == 5_001
    assert store.branch(conversation_id)[-1].content == "Noted."
    store.close()


async def test_every_store_call_of_the_screen_leaves_the_loop_free_while_it_hangs(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    (tmp_path / "data").mkdir()
    store = WatchedStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    old = store.create_conversation(endpoint="toki", model="seed/model", params={})
    for index in range(150):
        store.add_message(old.id, role="user", content=f"river message {index}")
    store.calls.clear()
    fake_server.script(stream_text("Kept."))
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        screen, view = harness.screen, harness.screen.query_one(ConversationView)
        steps = Steps(pilot, store)
        steps.lag.start()

        async def hang(*methods: str) -> None:
            """Each call hangs until it is let go, once frames have gone by (the loop answers) meanwhile."""
            for count in range(1, len(methods) + 1):
                await wait_until(pilot, lambda count=count: len(store.hung) >= count)  # type: ignore[misc]
                await pilot.pause()
                await pilot.pause()
                store.release.set()

        def step(methods: tuple[str, ...], start: Callable[[], object], done: Callable[[], object]) -> Any:
            async def run() -> None:
                store.hung.clear()
                store.hang_in = set(methods)
                started = start()
                if inspect.isawaitable(started):
                    await started
                await hang(*methods)
                await wait_until(pilot, done)

            return run

        await steps.run(
            "open",
            step(("latest_messages",), lambda: screen.history.open_conversation(old.id), lambda: view.messages),
        )
        await steps.run(
            "older",
            step(
                ("older_messages",),
                lambda: view.post_message(ConversationView.OlderMessagesWanted(view.messages[0].id or 0)),
                lambda: len(view.messages) > 60,
            ),
        )
        await steps.run(
            "search",
            step(
                ("search",),
                lambda: screen.query_one(HistoryList).post_message(HistoryList.SearchChanged("river")),
                lambda: shown_entries(harness) == [old.id],
            ),
        )
        await steps.run(
            "rename",
            step(
                ("rename_conversation",),
                lambda: screen.history.rename("Renamed"),
                lambda: str(view.border_title) == "Renamed",
            ),
        )
        await steps.run(
            "settings",
            step(
                ("update_conversation_settings",),
                screen.settings.save_now,
                lambda: not any(worker.group == "settings" for worker in screen.workers),
            ),
        )
        screen.query_one("#prompt").focus()
        await enter_text(pilot, "again")
        await steps.run(
            "send",
            step(
                ("branch", "add_message", "finish_reply"),
                lambda: pilot.press("enter"),
                lambda: fake_server.chat_requests() and not screen.streaming,
            ),
        )
        steps.lag.stop()
        await harness.app.workers.wait_for_complete()
    # A call on the loop would hold it for the whole hang (3 s); the bound is two thirds of that, since while a call
    # hangs the screen draws what the step changed (the user's message, the reply's start), which a loaded machine
    # stretched to ~0.9 s.
    steps.check(max_lag=HANG_SECONDS * 2 / 3)  # before the test reads the store itself, below
    assert store.hung == ["branch", "add_message", "finish_reply"]
    assert [message.content for message in store.branch(old.id)[-2:]] == ["again", "Kept."]
    store.close()
