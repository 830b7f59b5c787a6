"""Compare: one question answered by 2-4 models at once, each reply stored as a sibling of the others.

`start_compare` records the question once (ChatSession.ask) and readies one ReplyRun per model, all with the same
messages and parameters; `CompareTurn.run` streams them concurrently, one asyncio task each, through the same
reply pipeline as a normal turn (core/reply_run.py). Each run's row is created at its own first byte, so the
replies are siblings under the question, each with its own model and provenance. A failing model (an HTTP error,
a timeout, a dropped connection) ends its own run with status "error" and its error text; the others go on.
`stop(index)` stops one (stored "stopped"), cancelling `run()` stops them all.

The compare replies do not join the session's branch while they stream: when the turn ends, the conversation
continues on the first reply that has output (or the first stored one), and `choose(index)` moves it to another.
The others stay in the tree, reachable as branches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from toki_tui.core.api.events import StreamEvent
from toki_tui.core.api.params import ChatMessage
from toki_tui.core.attachments import Attachment
from toki_tui.core.errors import APIError, HistoryError
from toki_tui.core.reply_run import ReplyRun

if TYPE_CHECKING:
    from toki_tui.core.session import ChatSession

MIN_COMPARED = 2
MAX_COMPARED = 4


class CompareError(APIError):
    """A compare that cannot start (too few or too many models, a model named twice)."""


def check_compare_models(models: Sequence[str]) -> tuple[str, ...]:
    """The models to compare, stripped, in order. Raises CompareError unless there are 2-4 distinct ones."""
    cleaned = tuple(model.strip() for model in models)
    if any(not model for model in cleaned):
        raise CompareError("a model id to compare is empty")
    if not MIN_COMPARED <= len(cleaned) <= MAX_COMPARED:
        raise CompareError(f"compare takes {MIN_COMPARED} to {MAX_COMPARED} models, not {len(cleaned)}")
    if len(set(cleaned)) != len(cleaned):
        raise CompareError("each model can be compared only once")
    return cleaned


class CompareTurn:
    """The replies of one compare turn, in the order the models were given."""

    def __init__(self, session: ChatSession, runs: Sequence[ReplyRun], messages: Sequence[ChatMessage]) -> None:
        self._session = session
        self.runs = list(runs)
        self.messages = tuple(messages)
        """What every request carries (the same list for each model)."""
        self.chosen: int | None = None
        """The index of the reply the conversation continues on, once the turn has ended."""
        self._tasks: list[asyncio.Task[None]] = []
        self._started: set[int] = set()

    @property
    def models(self) -> list[str]:
        return [run.model for run in self.runs]

    @property
    def failed(self) -> list[ReplyRun]:
        return [run for run in self.runs if run.reply_status == "error"]

    async def run(
        self,
        on_batch: Callable[[int, list[StreamEvent]], None],
        on_end: Callable[[int], None] | None = None,
    ) -> None:
        """Stream every reply at once; `on_batch(index, events)` gets each network read, `on_end(index)` is called
        as each reply ends (its status and error are on its run). Returns when all have ended, the conversation
        continuing on the default choice. Cancelling it stops every reply (each is recorded "stopped")."""
        self._tasks = [
            asyncio.create_task(self._stream(index, run, on_batch, on_end)) for index, run in enumerate(self.runs)
        ]
        try:
            await asyncio.wait(self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()
            # Each task records its reply on the way out: wait for that even when this run() is being cancelled.
            await asyncio.wait(self._tasks)
            for index, run in enumerate(self.runs):
                if index not in self._started:  # stopped before its task ran: no request was made
                    run.reply_status = "stopped"
                    if on_end is not None:
                        on_end(index)
            default = self.default_choice()
            if default is not None and self.chosen is None:
                with contextlib.suppress(HistoryError):  # the store failing now: the replies are all recorded
                    await self.choose(default)

    async def _stream(
        self,
        index: int,
        run: ReplyRun,
        on_batch: Callable[[int, list[StreamEvent]], None],
        on_end: Callable[[int], None] | None,
    ) -> None:
        self._started.add(index)
        try:
            async with contextlib.aclosing(run.batches(self.messages)) as batches:
                async for batch in batches:
                    on_batch(index, batch)
        except asyncio.CancelledError:
            pass  # stopped: recorded "stopped" by the run; the other replies go on
        except APIError:
            pass  # recorded on the run (reply_status "error", error): it does not disturb the others
        except Exception as error:  # a bug must not end the other replies or leave this one spinning
            run.reply_status = "error"
            run.error = f"unexpected error: {type(error).__name__}: {error}"
        finally:
            if on_end is not None:
                on_end(index)

    def stop(self, index: int) -> None:
        """Stop one reply (it is recorded "stopped" with what arrived); the others go on."""
        if 0 <= index < len(self._tasks):
            self._tasks[index].cancel()

    def stop_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    def default_choice(self) -> int | None:
        """The reply the conversation continues on until one is chosen: the first with output that did not fail,
        else the first that was stored (a failed one, as a normal turn's failed reply is)."""
        for index, run in enumerate(self.runs):
            if run.reply.has_output and run.reply_status != "error":
                return index
        for index, run in enumerate(self.runs):
            if run.reply_message_id is not None:
                return index
        return None

    async def choose(self, index: int) -> None:
        """Continue the conversation on reply `index`: the next question goes under it; its siblings stay."""
        if not 0 <= index < len(self.runs):
            raise CompareError(f"there is no reply {index + 1} to choose")
        session, run = self._session, self.runs[index]
        store, conversation_id, message_id = session.store, session.conversation_id, run.reply_message_id
        if session.saving and store is not None and conversation_id is not None and message_id is not None:
            await session.run_store(lambda: store.set_current_leaf(conversation_id, message_id))
            session.forget_context(message_id)
        else:  # nothing is saved: the chosen reply joins the session's memory, in place of one chosen before
            tool_calls = run.reply.tool_calls or None
            session.remember_reply(run.content, run.reply_status, tool_calls, replaces=self.chosen is not None)
        self.chosen = index


async def start_compare(
    session: ChatSession, user_text: str, models: Sequence[str], attachments: tuple[Attachment, ...] = ()
) -> CompareTurn:
    """Record the question once, and ready one reply per model to it, with the same messages and parameters (the
    session's). Run them with CompareTurn.run()."""
    checked = check_compare_models(models)
    parent_id = await session.ask(user_text, attachments)
    await session.read_context()
    messages = session.context_messages()
    runs = [
        ReplyRun(session, model=model, params=session.params, parent_id=parent_id, joins_branch=False)
        for model in checked
    ]
    for run in runs:  # one after another: the siblings' order is the order the models were given in
        try:
            await run.reserve_row()
        except HistoryError as error:
            session.stop_saving(error)
            break
    return CompareTurn(session, runs, messages)
