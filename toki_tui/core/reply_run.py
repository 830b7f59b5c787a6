"""One reply streamed and recorded: the per-reply half of the conversation controller (core/session.py).

A `ReplyRun` holds what belongs to one reply (its accumulator, its stored row, its status and note) and does the
reply pipeline of docs/architecture.md: the row is created at the first byte with status "streaming",
checkpointed at least once a second, and ends "complete", "length", "stopped" (cancelled) or "error" with the
error text. A normal turn has one run at a time; a compare turn (core/compare.py) has several at once under the
same question, each with its own model, so nothing here is shared between runs but the session (`ReplyHost`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from toki_tui.core.api.events import StreamEvent
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply import CUT_SHORT_REASONS, ReplyAccumulator, status_for_finish_reason
from toki_tui.core.api.reply_limit import REPLY_LIMIT_REASON, reply_limit_message
from toki_tui.core.continuation import RESTARTED_NOTE, added_seconds, added_usage, started_again
from toki_tui.core.errors import APIError, HistoryError
from toki_tui.core.pricing import Price, added_costs, cost_of
from toki_tui.core.tool_answers import choice_after_results

if TYPE_CHECKING:
    from toki_tui.core.api.client import ChatClient
    from toki_tui.core.store.history_store import HistoryStore, StoredMessage

_T = TypeVar("_T")


class StoreRunner(Protocol):
    """Runs one store call and gives its result: inline by default (`toki ask`), in a thread for the TUI, whose
    event loop must not wait for SQLite. Each call is awaited before the next, so one reply's writes keep their
    order (the user message before the request, checkpoints before the finish)."""

    def __call__(self, call: Callable[[], _T], /) -> Awaitable[_T]: ...


async def run_inline(call: Callable[[], _T], /) -> _T:
    return call()


async def events_of(batches: AsyncGenerator[list[StreamEvent], None]) -> AsyncGenerator[StreamEvent, None]:
    """The events of a run's batches one by one (closing the batches, and the response with them, when stopped)."""
    async with contextlib.aclosing(batches):
        async for batch in batches:
            for event in batch:
                yield event


@dataclass(frozen=True)
class Continued:
    """The cut-short reply a continuation is appended to (`message_id` None: kept in memory)."""

    message_id: int | None
    content: str
    reasoning: str | None
    cost: float | None = None
    """The cut-short reply's cost: the continuation's is added to it (unknown if either is)."""
    cost_reported: bool = False
    """Whether `cost` is a charge the server reported (else an estimate)."""
    usage: dict[str, Any] | None = None
    """The cut-short reply's token counts: the continuation's are added to them, as its cost is."""
    ttft: float | None = None
    duration: float | None = None

    @classmethod
    def of_stored(cls, partial: StoredMessage) -> Continued:
        return cls(
            partial.id,
            partial.content,
            partial.reasoning,
            partial.cost_estimate,
            partial.cost_reported,
            partial.usage,
            partial.ttft,
            partial.duration,
        )


class ReplyHost(Protocol):
    """What a run needs from the conversation it belongs to (ChatSession is one)."""

    store: HistoryStore | None
    endpoint_name: str
    checkpoint_interval: float
    runs_in_flight: set[ReplyRun]
    price_of: Callable[[str], Price | None]

    @property
    def client(self) -> ChatClient: ...
    @property
    def conversation_id(self) -> str | None: ...
    @property
    def saving(self) -> bool: ...
    @property
    def save_problem(self) -> str | None: ...
    def clock(self) -> float: ...
    def run_store(self, call: Callable[[], _T], /) -> Awaitable[_T]: ...
    def stop_saving(self, error: HistoryError) -> None: ...
    def extend_context(self, message: StoredMessage) -> None: ...
    def remember_reply(
        self, content: str, status: str, tool_calls: list[dict[str, Any]] | None, *, replaces: bool
    ) -> None: ...


class ReplyRun:
    """A reply to `parent_id` by `model` with `params`. `joins_branch=False` (a compare turn's replies) keeps the
    finished reply out of the session's branch until it is chosen (CompareTurn.choose)."""

    def __init__(
        self,
        host: ReplyHost,
        *,
        model: str,
        params: ChatParams,
        parent_id: int | None,
        continued: Continued | None = None,
        joins_branch: bool = True,
        extra_tools: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self._host = host
        self.model = model
        self.params = params
        #: Tools sent after `params.tools` but not recorded with the params (the MCP servers' tools).
        self.extra_tools = extra_tools
        self.parent_id = parent_id
        self.continued = continued
        self.joins_branch = joins_branch
        self.reply = ReplyAccumulator(host.clock, streamed=params.stream)
        self.reply_message_id: int | None = None
        self.reply_status = "streaming"
        #: Why a reply that did not fail ended early (toki's reply limit), to show and store with it; else None.
        self.reply_note: str | None = None
        #: The error that ended the reply ("error" status), as shown and stored.
        self.error: str | None = None
        #: The reply's cost and the price in force when it ended (None when unknown); the cost is the charge the
        #: server reported when it did (`cost_reported`), else an estimate from the price.
        self.cost: float | None = None
        self.cost_reported = False
        self.price: Price | None = None

    @property
    def content(self) -> str:
        """The reply's text as stored (a continuation's after the reply it continues)."""
        return self._with_continued()[0]

    async def batches(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[list[StreamEvent], None]:
        """Stream the reply to `messages`, recording it as it comes; the events of each network read as one list.
        Raises APIError after recording it."""
        host, reply = self._host, self.reply
        host.runs_in_flight.add(self)
        status = "error"
        error_text: str | None = None
        last_checkpoint = host.clock()
        try:
            # Recorded as sent (F4 shows every parameter sent): a forced tool_choice is "auto" once answered.
            params = self.params = choice_after_results(self.params, messages)
            if self.extra_tools:
                params = params.replace(tools=(*(params.tools or ()), *self.extra_tools))
            stream = host.client.stream_chat_batches(model=self.model, messages=list(messages), params=params)
            async with contextlib.aclosing(stream):
                async for batch in stream:
                    for event in batch:
                        reply.feed(event)
                    store = host.store
                    if store is not None and host.conversation_id is not None and host.saving:
                        try:
                            last_checkpoint = await self._save_progress(store, last_checkpoint)
                        except HistoryError as error:
                            host.stop_saving(error)
                    yield batch
            status = status_for_finish_reason(reply.finish_reason)
            if reply.finish_reason == REPLY_LIMIT_REASON:
                error_text = self.reply_note = reply_limit_message(host.client.max_reply_chars)
            elif reply.finish_reason in CUT_SHORT_REASONS:
                error_text = self.reply_note = CUT_SHORT_REASONS[reply.finish_reason]
            elif self.continued is not None and started_again(self.continued.content, reply.content):
                error_text = self.reply_note = RESTARTED_NOTE
        except (asyncio.CancelledError, GeneratorExit):
            status = "stopped"
            raise
        except APIError as error:
            status = "error"
            error_text = self.error = str(error)
            raise
        finally:
            reply.finish()
            self.reply_status = status
            self._price()
            try:
                if host.store is None or host.saving:
                    try:
                        await self._record(status, error_text)
                    except HistoryError as error:
                        host.stop_saving(error)
                        await self._record_unsaved(status)
                else:
                    await self._record_unsaved(status)
            finally:
                host.runs_in_flight.discard(self)

    def _price(self) -> None:
        """Price the reply as it ends; a continuation's cost is added to the cut-short reply's, as its stored text
        is both parts."""
        self.price = self._host.price_of(self.model)
        self.cost, self.cost_reported = cost_of(self.reply.usage, self.price)
        if self.continued is not None:
            self.cost = added_costs(self.continued.cost, self.cost)
            self.cost_reported = self.cost_reported and self.continued.cost_reported

    async def _save_progress(self, store: HistoryStore, last_checkpoint: float) -> float:
        """Create the reply's row at its first byte, then checkpoint it; returns when it was last checkpointed."""
        host = self._host
        if self.reply_message_id is None and self.reply.response_started:
            self.reply_message_id = await self._start(store)
            return host.clock()
        if self.reply_message_id is not None:
            now = host.clock()
            if now - last_checkpoint >= host.checkpoint_interval:
                await self._checkpoint(store, self.reply_message_id)
                return now
        return last_checkpoint

    def _remember(self, status: str) -> None:
        """Keep the reply in the session's memory (a compare reply waits until it is chosen)."""
        if self.joins_branch:
            self._host.remember_reply(
                self.content, status, self.reply.tool_calls or None, replaces=self.continued is not None
            )

    async def _record_unsaved(self, status: str) -> None:
        """The reply could not be stored in full: keep it in memory, and mark the stored part (if any) as cut
        off with the reason, when the store still takes that much."""
        if self.reply.has_output or status == "error":
            self._remember(status)
        host = self._host
        store, message_id, reason = host.store, self.reply_message_id, host.save_problem or ""
        if store is not None and message_id is not None and not store.read_only:
            with contextlib.suppress(HistoryError):
                await host.run_store(lambda: store.mark_reply_unsaved(message_id, reason=reason))

    def _measures(self) -> dict[str, Any]:
        """Usage and timing to store: a continuation's added to those of the reply it continues (its time to first
        token stays the first part's), so the tokens `toki usage` sums match the cost, which adds both parts."""
        usage = self.reply.usage.as_dict() if self.reply.usage is not None else None
        ttft, duration, continued = self.reply.ttft, self.reply.duration, self.continued
        if continued is None:
            return {"usage": usage, "ttft": ttft, "duration": duration}
        return {
            "usage": added_usage(continued.usage, usage),
            "ttft": continued.ttft if continued.ttft is not None else ttft,
            "duration": added_seconds(continued.duration, duration),
        }

    def _with_continued(self) -> tuple[str, str | None]:
        """The content and reasoning to store: a continuation's come after those of the reply it continues."""
        content, reasoning = self.reply.stored_content, self.reply.reasoning or None
        continued = self.continued
        if continued is None:
            return content, reasoning
        joined = (continued.reasoning or "") + (reasoning or "")
        return continued.content + content, joined or None

    async def reserve_row(self) -> None:
        """Create the reply's row now rather than at its first byte (a compare turn does this for each model in
        order, so the stored siblings keep the columns' order whichever answers first). A row reserved this way is
        recorded whatever happens, a reply stopped before its first byte included."""
        host, store = self._host, self._host.store
        if self.reply_message_id is None and store is not None and host.conversation_id is not None and host.saving:
            self.reply_message_id = await self._start(store)

    async def _start(self, store: HistoryStore) -> int:
        host, continued = self._host, self.continued
        if continued is not None and continued.message_id is not None:
            continued_id = continued.message_id
            return (await host.run_store(lambda: store.reopen_reply(continued_id))).id
        conversation_id, endpoint, parent_id, model = (
            host.conversation_id,
            host.endpoint_name,
            self.parent_id,
            self.model,
        )
        params = self.params.to_record()
        assert conversation_id is not None
        started = await host.run_store(
            lambda: store.start_reply(
                conversation_id, parent_id=parent_id, model=model, endpoint=endpoint, params=params
            )
        )
        return started.id

    async def _checkpoint(self, store: HistoryStore, message_id: int) -> None:
        # The values are taken now, on this side: the reply keeps growing while the call runs elsewhere.
        (content, reasoning), tool_calls = self._with_continued(), self.reply.tool_calls or None
        await self._host.run_store(
            lambda: store.checkpoint_reply(message_id, content=content, reasoning=reasoning, tool_calls=tool_calls)
        )

    async def _record(self, status: str, error_text: str | None) -> None:
        host, reply = self._host, self.reply
        store = host.store
        if store is None or host.conversation_id is None:
            if reply.has_output or status == "error":
                self._remember(status)
            return
        if self.reply_message_id is None:
            if status == "stopped" and not reply.has_output:
                return  # stopped before the server answered: nothing to keep
            if self.continued is not None:
                return  # a continuation that failed before its first byte leaves the cut-short reply as it was
            # Failed before the first byte (a 401, a refused connection): keep the error with the conversation.
            self.reply_message_id = await self._start(store)
        message_id = self.reply_message_id
        content, reasoning = self._with_continued()
        finished = await host.run_store(
            lambda: store.finish_reply(
                message_id,
                content=content,
                status=status,
                reasoning=reasoning,
                tool_calls=reply.tool_calls or None,
                finish_reason=reply.finish_reason,
                **self._measures(),
                error=error_text,
                cost_estimate=self.cost,
                cost_reported=self.cost_reported,
                price=self.price,
            )
        )
        if self.joins_branch:
            host.extend_context(finished)
