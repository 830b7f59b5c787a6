"""A conversation in progress: its history branch, the settings for the next request, and sending a turn.

The conversation controller of docs/architecture.md's streaming pipeline, shared by `toki ask` and the TUI: the
user message is written to the store before the request; each reply is streamed and recorded by a ReplyRun
(core/reply_run.py). With no store (`--no-save`) the same happens in memory, as it does for a conversation the store
stopped taking (a full disk, a lock held too long, a read-only history): `save_problem` says why.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from toki_tui.core.api.events import StreamEvent
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply import ReplyAccumulator
from toki_tui.core.attachments import Attachment, attachments_from_records, records_of
from toki_tui.core.branch_context import BranchContext
from toki_tui.core.branch_reading import (
    MemoryMessage,
    branch_to_answer,
    branch_to_continue,
    check_continuable,
    memory_copy,
    sendable,
)
from toki_tui.core.errors import APIError, HistoryError
from toki_tui.core.pricing import Price, no_price
from toki_tui.core.reply_run import Continued, ReplyRun, StoreRunner, events_of, run_inline
from toki_tui.core.tool_answers import answer_open_calls, open_call_ids, pick_open_call

if TYPE_CHECKING:
    from toki_tui.core.api.client import ChatClient
    from toki_tui.core.store.history_store import HistoryStore, StoredMessage


class ChatSession:
    """Settings (`model`, `params`, `system_prompt`) are plain attributes: a change applies to the next request."""

    def __init__(
        self,
        *,
        client: ChatClient | None,
        store: HistoryStore | None,
        endpoint_name: str,
        model: str,
        params: ChatParams,
        system_prompt: str | None = None,
        conversation_id: str | None = None,
        checkpoint_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        run_store: StoreRunner = run_inline,
        price_of: Callable[[str], Price | None] = no_price,
    ) -> None:
        self._client = client
        self.run_store = run_store
        self.price_of = price_of  # the price in force for a model (core/pricing.py), read as each reply ends
        self.store = store
        self.endpoint_name = endpoint_name
        self.model = model
        self.params = params
        self.system_prompt = system_prompt
        self._conversation_id = conversation_id
        self.checkpoint_interval = checkpoint_interval
        self.clock = clock
        self._memory: list[MemoryMessage] = []
        self._branch = BranchContext()
        self._run: ReplyRun | None = None  # the last reply of a normal turn (last_run, reply, reply_note)
        self.runs_in_flight: set[ReplyRun] = set()
        self.save_problem: str | None = None
        """Why the store stopped taking this conversation's messages (None while it takes them; conversation_id)."""
        self.save_failures = 0  # how often saving stopped: a caller warns once per stop
        self._memory_of: str | None = None  # the conversation copied into memory when saving stopped
        self._continued: Continued | None = None  # set while a continuation streams
        self.extra_tools: tuple[dict[str, Any], ...] = ()
        """Tools sent with each request after `params.tools`, not stored with it (the MCP servers' tools)."""

    @property
    def client(self) -> ChatClient:
        """The client requests go through: given later by the TUI (after the first frame), before the first send."""
        if self._client is None:
            raise RuntimeError("ChatSession has no client: set session.client before sending")
        return self._client

    @client.setter
    def client(self, client: ChatClient) -> None:
        self._client = client

    @property
    def conversation_id(self) -> str | None:
        return self._conversation_id

    @conversation_id.setter
    def conversation_id(self, conversation_id: str | None) -> None:
        """Another conversation (opened, or a new one) drops what was kept in memory and tries saving again."""
        self._conversation_id = conversation_id
        self.save_problem = None
        self._memory = []
        self._memory_of = None

    @property
    def saving(self) -> bool:
        """Whether messages go to the store (a store that is open for writing and has not failed a write)."""
        return self.store is not None and self.save_problem is None and not self.store.read_only

    @property
    def reply(self) -> ReplyAccumulator | None:
        """The last reply of a normal turn (not a compare turn's: those are on its runs)."""
        return self._run.reply if self._run is not None else None

    @property
    def last_run(self) -> ReplyRun | None:
        """The last reply of a normal turn as it ran (its stored id, status, cost and price); None before one."""
        return self._run

    @property
    def reply_note(self) -> str | None:
        """Why the last reply ended early without failing (toki's reply limit), to show with it; else None."""
        return self._run.reply_note if self._run is not None else None

    def stop_saving(self, error: HistoryError) -> None:
        if self.save_problem is None:
            self.save_problem = str(error)
            self.save_failures += 1
        self._use_memory()

    def _use_memory(self) -> None:
        """Go on in memory from the branch already stored (read once; what was sent last if reading fails)."""
        if self._memory_of is not None or self.store is None or self._conversation_id is None:
            return
        try:
            branch: list[Any] = self.store.branch(self._conversation_id)
        except HistoryError:
            branch = list(self._branch.messages) if self._branch.of is not None else []
        # The replies being written when saving stopped are added whole when they end, not as their stored part.
        in_flight = {run.reply_message_id for run in self.runs_in_flight}
        self._memory = memory_copy(branch, leaving_out=in_flight)
        self._memory_of = self._conversation_id

    async def _ensure_conversation(self) -> str | None:
        """Create the conversation at its first message, else store the settings the next request is made with."""
        store, conversation_id = self.store, self.conversation_id
        if store is None:
            return None
        settings: dict[str, Any] = {
            "model": self.model,
            "endpoint": self.endpoint_name,
            "system_prompt": self.system_prompt,
            "params": self.params.to_record(),
        }
        if conversation_id is None:
            conversation = await self.run_store(lambda: store.create_conversation(**settings))
            self._conversation_id = conversation.id
            self._branch.start_new(conversation.id)
        else:
            await self.run_store(lambda: store.update_conversation_settings(conversation_id, **settings))
        return self.conversation_id

    async def _drop_new_conversation(self, store: HistoryStore, conversation_id: str) -> None:
        """Undo a conversation created for a first message that could not be stored: an empty "Untitled"
        conversation left behind would be what `toki --resume last` opens."""
        self.conversation_id = None
        self._branch.forget()
        with contextlib.suppress(HistoryError):
            await self.run_store(lambda: store.delete_conversation(conversation_id))

    def context_messages(self, branch: list[StoredMessage] | None = None) -> list[ChatMessage]:
        """What is sent as `messages`: the system prompt, then the branch, without failed replies or reasoning; every
        tool call the user left unanswered gets a "no result" answer (answer_open_calls)."""
        messages: list[ChatMessage] = []
        if self.system_prompt:
            messages.append(ChatMessage(self.params.system_role, self.system_prompt))
        if branch is not None:
            messages.extend(sendable(branch))
        elif self.store is not None and self.conversation_id is not None and self._memory_of is None:
            messages.extend(self._branch.stored(self.store, self.conversation_id))
        else:
            messages.extend(sendable(self._memory))
        return answer_open_calls(messages)

    def forget_context(self, shown_leaf: int | None = None) -> None:
        """Read the branch from the store again before the next request (a conversation was opened): the one
        ending at `shown_leaf`, the last message on screen (None: the conversation's current leaf)."""
        self._branch.forget(shown_leaf)

    @property
    def branch_end(self) -> int | None:
        """The last message of the branch requests carry, when known (new messages are stored under it)."""
        return self._branch.end(self.conversation_id)

    async def read_context(self) -> None:
        """Read the stored branch (through the store runner) if the kept one does not match it."""
        if self.store is not None and self.conversation_id is not None:
            await self._branch.read(self.run_store, self.store, self.conversation_id)

    def extend_context(self, message: StoredMessage) -> None:
        self._branch.extend(message)

    def send(self, user_text: str, attachments: tuple[Attachment, ...] = ()) -> AsyncGenerator[StreamEvent, None]:
        """Record the user message (with its attached files), then stream and record the reply. Raises APIError
        after recording it."""
        return events_of(self.send_batches(user_text, attachments))

    def retry(self, message_id: int | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Generate the last reply (or `message_id`'s, see retry_batches) again, as a sibling of the old one (the
        old one is kept)."""
        return events_of(self.retry_batches(message_id))

    async def send_batches(
        self, user_text: str, attachments: tuple[Attachment, ...] = ()
    ) -> AsyncGenerator[list[StreamEvent], None]:
        """send(), yielding the events of each network read as one list: for consumers on the hot path
        (`toki ask`), where a generator hop per token is measurable."""
        parent_id = await self.ask(user_text, attachments)
        async for batch in self._run_reply(parent_id):
            yield batch

    async def ask(self, user_text: str, attachments: tuple[Attachment, ...]) -> int | None:
        """Record the question (in memory when not saving); its stored id, the parent of its reply."""
        parent_id: int | None = None
        store = self.store
        attached = records_of(attachments)
        if self.saving and store is not None:
            created = self.conversation_id is None
            try:
                conversation_id = await self._ensure_conversation()
                if conversation_id is not None:
                    try:
                        await self.read_context()
                        # Under the end of the branch on screen, not the conversation's current leaf, which another
                        # toki process may have moved: the question continues what the user sees.
                        parent = self.branch_end if not created else None
                        asked = await self.run_store(
                            lambda: store.add_message(
                                conversation_id, role="user", content=user_text, parent_id=parent, attachments=attached
                            )
                        )
                    except BaseException:
                        # A first message that cannot be stored leaves no empty conversation behind.
                        if created:
                            await self._drop_new_conversation(store, conversation_id)
                        raise
                    self.extend_context(asked)
                    parent_id = asked.id
            except HistoryError as error:
                self.stop_saving(error)
        else:
            self._use_memory()
        if not self.saving:
            self._memory.append(MemoryMessage("user", user_text, attachments=attached))
        return parent_id

    async def tool_result_batches(
        self, content: str, call_id: str | None = None
    ) -> AsyncGenerator[list[StreamEvent], None]:
        """Answer an open call of the branch's last reply with tool calls (the only open one when `call_id` is None)
        by a `tool` message, then have the model go on once no call of that reply is left open. Raises APIError,
        before storing anything, when there is no such call."""
        store, conversation_id = self.store, self.conversation_id
        if self.saving and store is not None and conversation_id is not None:
            await self.read_context()
            branch: list[Any] = list(self._branch.messages)
        else:
            self._use_memory()
            branch = self._memory
        call_id = pick_open_call(open_call_ids(branch), call_id)
        parent_id: int | None = None
        if self.saving and store is not None and conversation_id is not None:
            parent, answer_id = self.branch_end, call_id
            try:
                answered = await self.run_store(
                    lambda: store.add_message(
                        conversation_id, role="tool", content=content, tool_call_id=answer_id, parent_id=parent
                    )
                )
                self.extend_context(answered)
                parent_id = answered.id
                branch = list(self._branch.messages)
            except HistoryError as error:
                self.stop_saving(error)
        if not self.saving:
            self._memory.append(MemoryMessage("tool", content, tool_call_id=call_id))
            branch = self._memory
        if open_call_ids(branch):
            return  # the model goes on once every call of the reply has its result
        async for batch in self._run_reply(parent_id):
            yield batch

    async def retry_batches(self, message_id: int | None = None) -> AsyncGenerator[list[StreamEvent], None]:
        """retry(), yielding batches as send_batches() does. With `message_id`, regenerate that message's reply
        instead of the last one: a reply gets a sibling, a question a new answer; the branch below the old reply
        stays on it."""
        parent_id: int | None = None
        store, conversation_id = await self._prepare_to_reply_again()
        if store is not None and conversation_id is not None:
            if message_id is None:
                leaf = self.branch_end
                branch = await self.run_store(lambda: store.branch(conversation_id, leaf))
                while branch and branch[-1].role == "assistant":
                    branch.pop()
            else:
                branch = await self.run_store(lambda: branch_to_answer(store, conversation_id, message_id))
            if not branch:
                raise APIError("there is no message to answer again")
            leaf_id = parent_id = branch[-1].id
            await self.run_store(lambda: store.set_current_leaf(conversation_id, leaf_id))
            self._branch.use(conversation_id, branch)
        else:
            while self._memory and self._memory[-1].role == "assistant":
                self._memory.pop()
            if not self._memory:
                raise APIError("there is no message to answer again")
        async for batch in self._run_reply(parent_id):
            yield batch

    async def edit_batches(
        self, message_id: int, user_text: str, added: tuple[Attachment, ...] = ()
    ) -> AsyncGenerator[list[StreamEvent], None]:
        """Ask `user_text` in place of the question `message_id`: a sibling of it (same parent), with the old
        question's files and then those `added`, then its reply. Nothing is overwritten: the old question and
        everything under it stay in the tree."""
        store, conversation_id = self.store, self.conversation_id
        if not self.saving or store is None or conversation_id is None:
            raise APIError("a past message can be edited only in a conversation that is being saved")
        edited = await self.run_store(lambda: store.get_message(message_id))
        if edited.role != "user" or edited.conversation_id != conversation_id:
            raise APIError("only a question of this conversation can be edited")
        parent = edited.parent_id
        above = await self.run_store(lambda: store.branch(conversation_id, parent)) if parent is not None else []
        self._branch.use(conversation_id, above)  # the new question goes under `parent` (a new root if None)
        kept = (*attachments_from_records(edited.attachments), *added)
        async with contextlib.aclosing(self.send_batches(user_text, kept)) as batches:
            async for batch in batches:
                yield batch

    async def continue_batches(self, message_id: int | None = None) -> AsyncGenerator[list[StreamEvent], None]:
        """Have the model go on with a reply that was cut short (CONTINUABLE_STATUSES), by default the last message
        of the branch on screen. The request ends with that reply as the assistant's partial message; what
        arrives is appended to the same stored reply, which ends with one status (checkpoints write old + new).
        A server that answers from scratch instead is named in `reply_note` and the stored error."""
        parent_id: int | None = None
        store, conversation_id = await self._prepare_to_reply_again()
        if store is not None and conversation_id is not None:
            leaf = message_id if message_id is not None else self.branch_end
            branch = await self.run_store(lambda: branch_to_continue(store, conversation_id, leaf))
            partial = branch[-1]
            check_continuable(partial.role, partial.status)
            await self.run_store(lambda: store.set_current_leaf(conversation_id, partial.id))
            self._branch.use(conversation_id, branch)
            self._continued = Continued.of_stored(partial)
            parent_id = partial.parent_id
        else:
            last = self._memory[-1] if self._memory else None
            check_continuable(last.role if last else "", last.status if last else "")
            assert last is not None
            self._continued = Continued(None, last.content, None)
        try:
            async for batch in self._run_reply(parent_id):
                yield batch
        finally:
            self._continued = None

    async def _prepare_to_reply_again(self) -> tuple[HistoryStore | None, str | None]:
        """Before a retry or a continuation: the settings it is made with become the conversation's. The store and
        the conversation when it is saved, else (None, None) and it goes on in memory."""
        if not self.saving:
            self._use_memory()
        store, conversation_id = self.store, self.conversation_id
        if self.saving and store is not None and conversation_id is not None:
            try:
                await self._ensure_conversation()
            except HistoryError as error:
                self.stop_saving(error)
        if self.saving and store is not None and conversation_id is not None:
            return store, conversation_id
        return None, None

    async def _run_reply(self, parent_id: int | None) -> AsyncGenerator[list[StreamEvent], None]:
        run = ReplyRun(
            self,
            model=self.model,
            params=self.params,
            parent_id=parent_id,
            continued=self._continued,
            extra_tools=self.extra_tools,
        )
        self._run = run
        await self.read_context()
        async for batch in run.batches(self.context_messages()):
            yield batch

    def remember_reply(
        self, content: str, status: str, tool_calls: list[dict[str, Any]] | None, *, replaces: bool
    ) -> None:
        """Keep a reply in memory; `replaces`: a continuation, which replaces the reply it continues (the last)."""
        if replaces and self._memory and self._memory[-1].role == "assistant":
            self._memory.pop()
        self._memory.append(MemoryMessage("assistant", content, status=status, tool_calls=tool_calls))
