"""A conversation in progress: its history branch, the settings for the next request, and sending a turn.

The conversation controller of docs/architecture.md's streaming pipeline, shared by `toki ask` and the TUI:
- the user message is written to the store before the request;
- the reply row is created at the first byte with status "streaming", checkpointed at least once a second;
- it ends "complete", "length", "stopped" (cancelled: Esc, Ctrl+C), or "error" with the error text;
- a crash leaves it "streaming", which the store turns into "interrupted" at the next start.
With no store (`--no-save`) the same happens in memory. So it does when the store cannot be written (a full disk,
a read-only history): the reply is still streamed and shown in full, `save_problem` says why it was not saved,
and the store keeps what it took before the failure; the session then goes on in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from toki_tui.core.api.events import StreamEvent
from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.api.reply import ReplyAccumulator, status_for_finish_reason
from toki_tui.core.api.reply_limit import REPLY_LIMIT_REASON, reply_limit_message
from toki_tui.core.attachments import Attachment, attachments_from_records, message_content, records_of
from toki_tui.core.continuation import CONTINUABLE_STATUSES, RESTARTED_NOTE, started_again
from toki_tui.core.errors import APIError, HistoryError
from toki_tui.core.tool_answers import answer_open_calls, open_call_ids, pick_open_call

if TYPE_CHECKING:
    from toki_tui.core.api.client import ChatClient
    from toki_tui.core.store.history_store import HistoryStore, StoredMessage

#: Replies in these states carry no text worth sending back as context.
_SKIPPED_IN_CONTEXT = frozenset({"error"})

_T = TypeVar("_T")


class StoreRunner(Protocol):
    """Runs one store call and gives its result: inline by default (`toki ask`), in a thread for the TUI, whose
    event loop must not wait for SQLite. The session awaits each call before the next, so writes keep their order
    (the user message before the request, checkpoints before the finish)."""

    def __call__(self, call: Callable[[], _T], /) -> Awaitable[_T]: ...


async def run_inline(call: Callable[[], _T], /) -> _T:
    return call()


@dataclass
class _MemoryMessage:
    """A message kept in memory when there is no store."""

    role: str
    content: str
    status: str = "complete"
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class _Continued:
    """The cut-short reply a continuation is appended to (`message_id` None: kept in memory)."""

    message_id: int | None
    content: str
    reasoning: str | None


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
    ) -> None:
        self._client = client
        self._run_store = run_store
        self.store = store
        self.endpoint_name = endpoint_name
        self.model = model
        self.params = params
        self.system_prompt = system_prompt
        self._conversation_id = conversation_id
        self.checkpoint_interval = checkpoint_interval
        self._clock = clock
        self._memory: list[_MemoryMessage] = []
        # The stored branch as it is sent, kept as the session goes: reading the whole branch from the store on
        # every send grew with the conversation (docs/performance.md). `_context_of` names what it
        # matches: (conversation id, id of the branch's last message); None means "read it again".
        self._context: list[ChatMessage] = []
        self._context_of: tuple[str, int | None] | None = None
        # The end of the branch the user is looking at (None: the conversation's current leaf). Requests carry that
        # branch and new messages continue it, even when another toki process has appended to the conversation
        # meanwhile: what is sent is what is on screen.
        self._shown_leaf: int | None = None
        self.reply: ReplyAccumulator | None = None
        self.reply_message_id: int | None = None
        self.reply_status: str | None = None
        self.save_problem: str | None = None
        """Why the store stopped taking this session's messages (None while it takes them)."""
        # The conversation whose branch was copied into memory when saving stopped (see _use_memory).
        self._memory_of: str | None = None
        #: Why a reply that did not fail ended early (toki's reply limit), to show and store with it; else None.
        self.reply_note: str | None = None
        self._continued: _Continued | None = None  # set while a continuation streams
        self.extra_tools: tuple[dict[str, Any], ...] = ()
        """Tools sent with each request after `params.tools`, not stored with it (the MCP servers' tools)."""

    @property
    def client(self) -> ChatClient:
        """The client requests go through. It may be given later (the TUI builds its client after the first frame,
        since building it imports httpx), but must be set before the first send."""
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
        """Switching conversations (opening one, starting a new one) drops what a session kept in memory."""
        self._conversation_id = conversation_id
        self._memory = []
        self._memory_of = None

    @property
    def saving(self) -> bool:
        """Whether messages go to the store (a store that is open for writing and has not failed a write)."""
        return self.store is not None and self.save_problem is None and not self.store.read_only

    def _stop_saving(self, error: HistoryError) -> None:
        if self.save_problem is None:
            self.save_problem = str(error)
        self._use_memory()

    def _use_memory(self) -> None:
        """Go on in memory, starting from the branch already stored (read once; what was sent last if even
        reading fails)."""
        if self._memory_of is not None or self.store is None or self._conversation_id is None:
            return
        try:
            branch: list[Any] = self.store.branch(self._conversation_id)
        except HistoryError:
            branch = list(self._context) if self._context_of is not None else []
        self._memory = [
            _MemoryMessage(
                message.role,
                message.content if isinstance(message.content, str) else "",
                status=getattr(message, "status", "complete"),
                tool_calls=list(message.tool_calls) if message.tool_calls else None,
                tool_call_id=message.tool_call_id,
                name=message.name,
                attachments=getattr(message, "attachments", None),
            )
            for message in branch
            # The reply being written when saving stopped is added whole when it ends, not as its stored part.
            if self.reply_message_id is None or getattr(message, "id", None) != self.reply_message_id
        ]
        self._memory_of = self._conversation_id

    # ---- history --------------------------------------------------------------------------------------

    async def _ensure_conversation(self) -> str | None:
        store = self.store
        if store is None:
            return None
        model, endpoint, system_prompt, params = self.model, self.endpoint_name, self.system_prompt, self.params
        if self.conversation_id is None:
            conversation = await self._run_store(
                lambda: store.create_conversation(
                    endpoint=endpoint, model=model, system_prompt=system_prompt, params=params.to_record()
                )
            )
            self._conversation_id = conversation.id
            self._context, self._context_of = [], (conversation.id, None)
        else:
            conversation_id = self.conversation_id
            await self._run_store(
                lambda: store.update_conversation_settings(
                    conversation_id,
                    model=model,
                    endpoint=endpoint,
                    system_prompt=system_prompt,
                    params=params.to_record(),
                )
            )
        return self.conversation_id

    async def _drop_new_conversation(self, store: HistoryStore, conversation_id: str) -> None:
        """Undo a conversation created for a first message that could not be stored: an empty "Untitled"
        conversation left behind would be what `toki --resume last` opens."""
        self.conversation_id = None
        self._context_of = None
        with contextlib.suppress(HistoryError):
            await self._run_store(lambda: store.delete_conversation(conversation_id))

    def context_messages(self, branch: list[StoredMessage] | None = None) -> list[ChatMessage]:
        """What is sent as `messages`: the system prompt, then the branch, without failed replies or reasoning; every
        tool call the user left unanswered gets a "no result" answer (answer_open_calls)."""
        messages: list[ChatMessage] = []
        if self.system_prompt:
            messages.append(ChatMessage(self.params.system_role, self.system_prompt))
        if branch is not None:
            messages.extend(_sendable(branch))
        elif self.store is not None and self.conversation_id is not None and self._memory_of is None:
            messages.extend(self._stored_context(self.store, self.conversation_id))
        else:
            messages.extend(_sendable(self._memory))
        return answer_open_calls(messages)

    def forget_context(self, shown_leaf: int | None = None) -> None:
        """Read the branch from the store again before the next request (a conversation was opened): the one
        ending at `shown_leaf`, the last message on screen (None: the conversation's current leaf)."""
        self._context_of = None
        self._shown_leaf = shown_leaf

    def _stored_context(self, store: HistoryStore, conversation_id: str) -> list[ChatMessage]:
        if self._context_of is None or self._context_of[0] != conversation_id:
            self._use_branch(conversation_id, store.branch(conversation_id, self._shown_leaf))
        return self._context

    @property
    def branch_end(self) -> int | None:
        """The last message of the branch requests carry, when known (new messages are stored under it)."""
        if self._context_of is not None and self._context_of[0] == self.conversation_id:
            return self._context_of[1]
        return self._shown_leaf

    async def _read_context(self) -> None:
        """Read the stored branch through the runner if the kept context does not match it, so that
        context_messages() below finds it ready (a long branch's read takes several frames' time)."""
        store, conversation_id = self.store, self.conversation_id
        if store is None or conversation_id is None:
            return
        if self._context_of is None or self._context_of[0] != conversation_id:
            leaf = self._shown_leaf
            branch = await self._run_store(lambda: store.branch(conversation_id, leaf))
            self._use_branch(conversation_id, branch)

    def _use_branch(self, conversation_id: str, branch: list[StoredMessage]) -> None:
        self._context = list(_sendable(branch))
        self._context_of = (conversation_id, branch[-1].id if branch else None)
        self._shown_leaf = branch[-1].id if branch else None

    def _extend_context(self, message: StoredMessage) -> None:
        """Add a message just stored at the end of the branch. If it was not stored under the branch's last
        message, the tree changed elsewhere (a branch switch, another toki process): read it again when needed."""
        conversation_id = message.conversation_id
        if self._context_of != (conversation_id, message.parent_id):
            self._context_of = None
            return
        self._context.extend(_sendable([message]))
        self._context_of = (conversation_id, message.id)
        self._shown_leaf = message.id

    # ---- sending --------------------------------------------------------------------------------------

    async def send(self, user_text: str, attachments: tuple[Attachment, ...] = ()) -> AsyncGenerator[StreamEvent, None]:
        """Record the user message (with its attached files), then stream and record the reply. Raises APIError
        after recording it."""
        async with contextlib.aclosing(self.send_batches(user_text, attachments)) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    async def retry(self, message_id: int | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Generate the last reply (or `message_id`'s, see retry_batches) again, as a sibling of the old one (the
        old one is kept)."""
        async with contextlib.aclosing(self.retry_batches(message_id)) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    async def send_batches(
        self, user_text: str, attachments: tuple[Attachment, ...] = ()
    ) -> AsyncGenerator[list[StreamEvent], None]:
        """send(), yielding the events of each network read as one list: for consumers on the hot path
        (`toki ask`), where a generator hop per token is measurable."""
        parent_id: int | None = None
        store = self.store
        attached = records_of(attachments)
        if self.saving and store is not None:
            created = self.conversation_id is None
            try:
                conversation_id = await self._ensure_conversation()
                if conversation_id is not None:
                    try:
                        await self._read_context()
                        # Under the end of the branch on screen, not the conversation's current leaf, which another
                        # toki process may have moved: the question continues what the user sees.
                        parent = self.branch_end if not created else None
                        asked = await self._run_store(
                            lambda: store.add_message(
                                conversation_id, role="user", content=user_text, parent_id=parent, attachments=attached
                            )
                        )
                    except BaseException:
                        # A first message that cannot be stored leaves no empty conversation behind.
                        if created:
                            await self._drop_new_conversation(store, conversation_id)
                        raise
                    self._extend_context(asked)
                    parent_id = asked.id
            except HistoryError as error:
                self._stop_saving(error)
        else:
            self._use_memory()
        if not self.saving:
            self._memory.append(_MemoryMessage("user", user_text, attachments=attached))
        async for batch in self._run_reply(parent_id):
            yield batch

    async def tool_result_batches(
        self, content: str, call_id: str | None = None
    ) -> AsyncGenerator[list[StreamEvent], None]:
        """Answer an open call of the branch's last reply with tool calls (the only open one when `call_id` is None)
        by a `tool` message, then have the model go on once no call of that reply is left open. Raises APIError,
        before storing anything, when there is no such call."""
        store, conversation_id = self.store, self.conversation_id
        if self.saving and store is not None and conversation_id is not None:
            await self._read_context()
            branch: list[Any] = list(self._context)
        else:
            self._use_memory()
            branch = self._memory
        call_id = pick_open_call(open_call_ids(branch), call_id)
        parent_id: int | None = None
        if self.saving and store is not None and conversation_id is not None:
            parent, answer_id = self.branch_end, call_id
            try:
                answered = await self._run_store(
                    lambda: store.add_message(
                        conversation_id, role="tool", content=content, tool_call_id=answer_id, parent_id=parent
                    )
                )
                self._extend_context(answered)
                parent_id = answered.id
                branch = list(self._context)
            except HistoryError as error:
                self._stop_saving(error)
        if not self.saving:
            self._memory.append(_MemoryMessage("tool", content, tool_call_id=call_id))
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
        if not self.saving:
            self._use_memory()
        store, conversation_id = self.store, self.conversation_id
        if self.saving and store is not None and conversation_id is not None:
            try:
                await self._ensure_conversation()  # the settings the retry is made with become the conversation's
            except HistoryError as error:
                self._stop_saving(error)
        if self.saving and store is not None and conversation_id is not None:
            if message_id is None:
                leaf = self.branch_end
                branch = await self._run_store(lambda: store.branch(conversation_id, leaf))
                while branch and branch[-1].role == "assistant":
                    branch.pop()
            else:
                branch = await self._run_store(lambda: _branch_to_answer(store, conversation_id, message_id))
            if not branch:
                raise APIError("there is no message to answer again")
            leaf_id = parent_id = branch[-1].id
            await self._run_store(lambda: store.set_current_leaf(conversation_id, leaf_id))
            self._use_branch(conversation_id, branch)
        else:
            while self._memory and self._memory[-1].role == "assistant":
                self._memory.pop()
            if not self._memory:
                raise APIError("there is no message to answer again")
        async for batch in self._run_reply(parent_id):
            yield batch

    async def edit_batches(self, message_id: int, user_text: str) -> AsyncGenerator[list[StreamEvent], None]:
        """Ask `user_text` in place of the question `message_id`: a sibling of it (same parent), then its reply.
        Nothing is overwritten: the old question and everything under it stay in the tree."""
        store, conversation_id = self.store, self.conversation_id
        if not self.saving or store is None or conversation_id is None:
            raise APIError("a past message can be edited only in a conversation that is being saved")
        edited = await self._run_store(lambda: store.get_message(message_id))
        if edited.role != "user" or edited.conversation_id != conversation_id:
            raise APIError("only a question of this conversation can be edited")
        parent = edited.parent_id
        above = await self._run_store(lambda: store.branch(conversation_id, parent)) if parent is not None else []
        self._use_branch(conversation_id, above)  # the new question goes under `parent` (a new root if None)
        # The edited question keeps the files attached to the old one.
        kept = attachments_from_records(edited.attachments)
        async with contextlib.aclosing(self.send_batches(user_text, kept)) as batches:
            async for batch in batches:
                yield batch

    async def continue_batches(self, message_id: int | None = None) -> AsyncGenerator[list[StreamEvent], None]:
        """Have the model go on with a reply that was cut short (CONTINUABLE_STATUSES), by default the last message
        of the branch on screen. The request ends with that reply as the assistant's partial message; what
        arrives is appended to the same stored reply, which ends with one status (checkpoints write old + new).
        A server that answers from scratch instead is named in `reply_note` and the stored error."""
        parent_id: int | None = None
        if not self.saving:
            self._use_memory()
        store, conversation_id = self.store, self.conversation_id
        if self.saving and store is not None and conversation_id is not None:
            try:
                await self._ensure_conversation()
            except HistoryError as error:
                self._stop_saving(error)
        if self.saving and store is not None and conversation_id is not None:
            leaf = message_id if message_id is not None else self.branch_end
            branch = await self._run_store(lambda: _branch_to_continue(store, conversation_id, leaf))
            partial = branch[-1]
            _check_continuable(partial.role, partial.status)
            await self._run_store(lambda: store.set_current_leaf(conversation_id, partial.id))
            self._use_branch(conversation_id, branch)
            self._continued = _Continued(partial.id, partial.content, partial.reasoning)
            parent_id = partial.parent_id
        else:
            last = self._memory[-1] if self._memory else None
            _check_continuable(last.role if last else "", last.status if last else "")
            assert last is not None
            self._continued = _Continued(None, last.content, None)
        try:
            async for batch in self._run_reply(parent_id):
                yield batch
        finally:
            self._continued = None

    async def _run_reply(self, parent_id: int | None) -> AsyncGenerator[list[StreamEvent], None]:
        reply = ReplyAccumulator(self._clock)
        self.reply = reply
        self.reply_message_id = None
        self.reply_status = "streaming"
        self.reply_note = None
        model, params = self.model, self.params
        await self._read_context()
        messages = self.context_messages()
        status = "error"
        error_text: str | None = None
        last_checkpoint = self._clock()
        store = self.store
        try:
            sent = params.replace(tools=(*(params.tools or ()), *self.extra_tools)) if self.extra_tools else params
            stream = self.client.stream_chat_batches(model=model, messages=messages, params=sent)
            async with contextlib.aclosing(stream):
                async for batch in stream:
                    for event in batch:
                        reply.feed(event)
                    if store is not None and self.conversation_id is not None and self.saving:
                        try:
                            last_checkpoint = await self._save_progress(
                                store, reply, parent_id, last_checkpoint, model, params
                            )
                        except HistoryError as error:
                            self._stop_saving(error)
                    yield batch
            status = status_for_finish_reason(reply.finish_reason)
            if reply.finish_reason == REPLY_LIMIT_REASON:
                error_text = self.reply_note = reply_limit_message(self.client.max_reply_chars)
            elif self._continued is not None and started_again(self._continued.content, reply.content):
                error_text = self.reply_note = RESTARTED_NOTE
        except (asyncio.CancelledError, GeneratorExit):
            status = "stopped"
            raise
        except APIError as error:
            status = "error"
            error_text = str(error)
            raise
        finally:
            reply.finish()
            self.reply_status = status
            if self.store is None or self.saving:
                try:
                    await self._record_reply(reply, parent_id, model, params, status, error_text)
                except HistoryError as error:
                    self._stop_saving(error)
                    await self._record_unsaved(reply, status)
            else:
                await self._record_unsaved(reply, status)

    async def _save_progress(
        self,
        store: HistoryStore,
        reply: ReplyAccumulator,
        parent_id: int | None,
        last_checkpoint: float,
        model: str,
        params: ChatParams,
    ) -> float:
        """Create the reply's row at its first byte, then checkpoint it; returns when it was last checkpointed."""
        if self.conversation_id is None:
            return last_checkpoint
        if self.reply_message_id is None and reply.response_started:
            self.reply_message_id = await self._start_reply(store, parent_id, model, params)
            return self._clock()
        if self.reply_message_id is not None:
            now = self._clock()
            if now - last_checkpoint >= self.checkpoint_interval:
                await self._checkpoint(store, self.reply_message_id, reply)
                return now
        return last_checkpoint

    async def _record_unsaved(self, reply: ReplyAccumulator, status: str) -> None:
        """The reply could not be stored in full: keep it in memory, and mark the stored part (if any) as cut
        off with the reason, when the store still takes that much."""
        if reply.has_output or status == "error":
            self._remember_reply(reply, status)
        store, message_id, reason = self.store, self.reply_message_id, self.save_problem or ""
        if store is not None and message_id is not None and not store.read_only:
            with contextlib.suppress(HistoryError):
                await self._run_store(lambda: store.mark_reply_unsaved(message_id, reason=reason))

    def _with_continued(self, reply: ReplyAccumulator) -> tuple[str, str | None]:
        """The content and reasoning to store: a continuation's come after those of the reply it continues."""
        content, reasoning = reply.stored_content, reply.reasoning or None
        continued = self._continued
        if continued is None:
            return content, reasoning
        joined = (continued.reasoning or "") + (reasoning or "")
        return continued.content + content, joined or None

    def _remember_reply(self, reply: ReplyAccumulator, status: str) -> None:
        """Keep the reply in memory; a continuation replaces the reply it continues (the last one kept)."""
        content, _ = self._with_continued(reply)
        if self._continued is not None and self._memory and self._memory[-1].role == "assistant":
            self._memory.pop()
        self._memory.append(_MemoryMessage("assistant", content, status=status, tool_calls=reply.tool_calls or None))

    async def _start_reply(self, store: HistoryStore, parent_id: int | None, model: str, params: ChatParams) -> int:
        continued = self._continued
        if continued is not None and continued.message_id is not None:
            continued_id = continued.message_id
            return (await self._run_store(lambda: store.reopen_reply(continued_id))).id
        conversation_id, endpoint = self.conversation_id, self.endpoint_name
        assert conversation_id is not None
        started = await self._run_store(
            lambda: store.start_reply(
                conversation_id, parent_id=parent_id, model=model, endpoint=endpoint, params=params.to_record()
            )
        )
        return started.id

    async def _checkpoint(self, store: HistoryStore, message_id: int, reply: ReplyAccumulator) -> None:
        # The values are taken now, on this side: the reply keeps growing while the call runs elsewhere.
        (content, reasoning), tool_calls = self._with_continued(reply), reply.tool_calls or None
        await self._run_store(
            lambda: store.checkpoint_reply(message_id, content=content, reasoning=reasoning, tool_calls=tool_calls)
        )

    async def _record_reply(
        self,
        reply: ReplyAccumulator,
        parent_id: int | None,
        model: str,
        params: ChatParams,
        status: str,
        error_text: str | None,
    ) -> None:
        store = self.store
        if store is None or self.conversation_id is None:
            if reply.has_output or status == "error":
                self._remember_reply(reply, status)
            return
        if self.reply_message_id is None:
            if status == "stopped" and not reply.has_output:
                return  # stopped before the server answered: nothing to keep
            if self._continued is not None:
                return  # a continuation that failed before its first byte leaves the cut-short reply as it was
            # Failed before the first byte (a 401, a refused connection): keep the error with the conversation.
            self.reply_message_id = await self._start_reply(store, parent_id, model, params)
        message_id = self.reply_message_id
        content, reasoning = self._with_continued(reply)
        finished = await self._run_store(
            lambda: store.finish_reply(
                message_id,
                content=content,
                status=status,
                reasoning=reasoning,
                tool_calls=reply.tool_calls or None,
                finish_reason=reply.finish_reason,
                usage=reply.usage.as_dict() if reply.usage is not None else None,
                ttft=reply.ttft,
                duration=reply.duration,
                error=error_text,
            )
        )
        self._extend_context(finished)


async def _events(batches: AsyncGenerator[list[StreamEvent], None]) -> AsyncGenerator[StreamEvent, None]:
    async with contextlib.aclosing(batches):
        async for batch in batches:
            for event in batch:
                yield event


def _branch_to_answer(store: HistoryStore, conversation_id: str, message_id: int) -> list[StoredMessage]:
    """The branch a new reply to `message_id` answers: up to the question (a reply's parent, or the question
    itself)."""
    message = store.get_message(message_id)
    if message.conversation_id != conversation_id:
        raise APIError(f"message {message_id} is not in this conversation")
    leaf = message.parent_id if message.role == "assistant" else message.id
    return store.branch(conversation_id, leaf) if leaf is not None else []


def _branch_to_continue(store: HistoryStore, conversation_id: str, leaf: int | None) -> list[StoredMessage]:
    """The branch ending with the reply to continue, which must end its branch: a reply with messages under it
    would no longer lead to them once longer."""
    branch = store.branch(conversation_id, leaf)
    if not branch:
        raise APIError("there is no reply to continue")
    if store.deepest_leaf(branch[-1].id) != branch[-1].id:
        raise APIError("only the last reply of a branch can be continued (messages follow this one)")
    return branch


def _check_continuable(role: str, status: str) -> None:
    if role != "assistant":
        raise APIError("there is no reply to continue: the last message is not a reply")
    if status not in CONTINUABLE_STATUSES:
        raise APIError(f"only a reply that was stopped or cut short can be continued (this one is {status})")


def _sendable(messages: list[Any]) -> Iterator[ChatMessage]:
    """The messages of a branch as sent back as context: failed and empty replies left out, no reasoning."""
    for message in messages:
        if message.role == "assistant" and message.status in _SKIPPED_IN_CONTEXT and not message.content:
            continue
        if message.role == "assistant" and not message.content and not message.tool_calls:
            continue
        attachments = attachments_from_records(getattr(message, "attachments", None))
        yield ChatMessage(
            message.role,
            message_content(message.content, attachments) if attachments else message.content,
            name=message.name,
            tool_calls=tuple(message.tool_calls) if message.tool_calls else None,
            tool_call_id=message.tool_call_id,
        )
