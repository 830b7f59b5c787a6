"""The one reply that streams at a time: its worker (group "reply", which Esc cancels), and its progress in the
status line (waiting, the speed, a retry's countdown, how it ended).

`start` adds the live reply to the conversation and runs the session's events into it (reply_pump); the worker
posts ReplyStateChanged and ReplyEnded to the screen, whose handlers call `state_changed` and `ended` here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from toki_tui.ui.screens.mcp_tools import McpTools
from toki_tui.ui.screens.reply_pump import pump_reply
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from toki_tui.core.api.events import StreamEvent
    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.worker_messages import ReplyEnded, ReplyStateChanged
    from toki_tui.ui.widgets.live_reply import LiveReply

SPEED_INTERVAL = 0.25
"""Seconds between two updates of the tokens-per-second figure while a reply streams, at least. It is updated
when the live reply shows new text (`LiveReply.on_flushed`), so that one frame draws both."""


class ReplyRunner:
    """`screen` is the node the reply's worker and timers run on, and whose conversation and status line show it;
    `ask_for_api_key` is called instead of a request without a key."""

    def __init__(
        self, screen: Screen[Any], app: TokiApp, session: ChatSession, *, ask_for_api_key: Callable[[], None]
    ) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._ask_for_api_key = ask_for_api_key
        self.streaming = False
        self._speed_shown_at = float("-inf")
        self._countdown_timer: Timer | None = None
        self._countdown_left = 0.0
        self._unsaved_warned = 0  # the session's save_failures already warned about
        self.may_start: Callable[[], bool] = lambda: True
        """Asked before a reply starts from the conversation as it is (a retry, a regenerate, a continue): False
        when none may start now, having said why (set by compare_runner.py)."""
        self.before_start: Callable[[], None] = lambda: None
        """Called as a reply starts in the conversation (compare_runner.py sets it: the columns of a finished
        compare close, so that the reply is seen: a tool result answered, an MCP call's results sent)."""
        self.before_request: Callable[[], None] = lambda: None
        """Called before each request (McpTools sets it: the MCP tools offered with the request are chosen then)."""
        self.after_reply: Callable[[ReplyEnded], None] = lambda message: None
        """Called once `ended` has shown how a reply ended (McpTools sets it: it runs the reply's MCP calls)."""
        self.mcp = McpTools(screen, app, session, self)
        """The MCP tools of the replies: offered with each request, their calls run after a reply (`/mcp`, `/tools`)."""

    def ready_to_send(self, text: str) -> bool:
        """Whether a question can be sent now; if not, `text` goes back in the prompt and the user is told why
        (a reply is arriving) or asked for what is missing (the API key)."""
        if self.streaming:
            self._screen.query_one(PromptInput).give_back(text)
            self._app.notify(
                f"A reply is still arriving; {self._app.key_name('chat.stop', 'Esc')} stops it.", severity="warning"
            )
            return False
        if self._app.needs_api_key:
            self._screen.query_one(PromptInput).give_back(text)
            self._ask_for_api_key()
            return False
        return True

    def retry(self) -> None:
        """Ctrl+R: a new reply to the last question (the old one stays as a sibling)."""
        if self.streaming or not self.may_start():
            return
        if self._session.conversation_id is None and not self._screen.query_one(ConversationView).messages:
            return
        if self._app.needs_api_key:
            self._ask_for_api_key()
            return
        self.start(self._session.retry_batches(), was_retry=True)

    def start(self, events: AsyncGenerator[list[StreamEvent], None], *, was_retry: bool, seed: str = "") -> None:
        """Show a live reply and stream `events` (the session's generator, not started yet: it reads the store and
        the client only once pumped, after they are given) into it. `seed`: text it starts with (a continuation).
        `was_retry`: the conversation is shown again from the store once the reply ends."""
        self.before_start()
        live = self._screen.query_one(ConversationView).start_reply(model=self._session.model)
        if seed:
            live.append_content(seed)  # a continuation is shown growing from where the reply stopped
        self.streaming = True
        status = self._screen.query_one(StatusLine)
        status.state, status.notice, status.tokens_per_second = "waiting", "", None
        status.last_usage = None  # the previous reply's usage would read as this one's
        self._speed_shown_at = float("-inf")
        live.on_flushed = self._show_speed
        self._screen.refresh_bindings()
        work = partial(self._stream, events, live, was_retry=was_retry)
        start_worker(self._screen, work, group="reply", exclusive=True)

    async def _stream(
        self, events: AsyncGenerator[list[StreamEvent], None], live: LiveReply, *, was_retry: bool
    ) -> None:
        if not await self.give_session_client_and_store():
            return
        try:
            await pump_reply(events, live, self._session, self._screen.post_message, was_retry=was_retry)
        finally:
            self._warn_if_unsaved()

    async def give_session_client_and_store(self) -> bool:
        """Before a request; False if the history cannot be opened (the app is then quitting with the error).
        The store is normally given during start-up; a prompt sent before that (typed or pasted at once) must
        not run as a session without history, which keeps its messages in memory only."""
        store = await self._app.history()
        if store is None:
            return False
        self._session.client = self._app.client
        self._session.store = store
        self.before_request()
        return True

    def _warn_if_unsaved(self) -> None:
        """Once each time the history stops taking the conversation's messages (a full disk, a lock held too long);
        the reply is shown all the same."""
        problem = self._session.save_problem
        if problem is not None and self._unsaved_warned < self._session.save_failures:
            self._unsaved_warned = self._session.save_failures
            self._app.notify(
                f"{problem}; this conversation is no longer saved, from this reply on (it stays on screen until you "
                "quit or leave it; Ctrl+N starts a new one, which is saved if the history can take it)",
                title="History",
                severity="warning",
                timeout=15,
            )

    def _show_speed(self) -> None:
        reply = self._session.reply
        now = time.monotonic()
        if reply is not None and self.streaming and now - self._speed_shown_at >= SPEED_INTERVAL:
            self._speed_shown_at = now
            self._screen.query_one(StatusLine).tokens_per_second = reply.tokens_per_second()

    def state_changed(self, message: ReplyStateChanged) -> None:
        status = self._screen.query_one(StatusLine)
        self._stop_countdown()
        if message.state == "retrying" and message.retry_delay is not None:
            status.state = "waiting"
            self._countdown_left = message.retry_delay
            self._tick_countdown(message.reason)
            self._countdown_timer = self._screen.set_interval(1.0, lambda: self._tick_countdown(message.reason))
        else:
            status.state, status.notice = message.state, ""

    def _tick_countdown(self, reason: str) -> None:
        seconds = max(0, round(self._countdown_left))
        self._screen.query_one(StatusLine).notice = f"{reason}: retrying in {seconds} s"
        live = self._screen.query_one(ConversationView).live_reply
        if live is not None:
            live.set_waiting(f"{reason}: retrying in {seconds} s")
        self._countdown_left -= 1.0

    def _stop_countdown(self) -> None:
        if self._countdown_timer is not None:
            self._countdown_timer.stop()
            self._countdown_timer = None

    def ended(self, message: ReplyEnded) -> None:
        """The status line says how the reply ended (and what Ctrl+R would do after an error)."""
        self.streaming = False
        self._stop_countdown()
        status = self._screen.query_one(StatusLine)
        cut = "cut short" if message.error else "cut at max_tokens"  # an error with "length": toki's reply limit
        status.state = {"complete": "ready", "length": cut}.get(message.status, message.status)
        status.tokens_per_second = None
        status.notice = ""
        status.last_usage = message.usage or None  # this reply's own, or none (stopped before the server said)
        if message.status == "error":
            wait = f" (the server asks to wait {message.retry_after:.0f} s)" if message.retry_after else ""
            status.notice = f"{self._app.key_name('chat.retry', 'Ctrl+R')} retries{wait}"
        self._screen.refresh_bindings()
        self.after_reply(message)

    def _reply_workers(self) -> list[Any]:
        return [worker for worker in self._screen.workers if worker.group == "reply"]

    def stop(self) -> None:
        for worker in self._reply_workers():
            worker.cancel()
        self.mcp.stop()  # an MCP tool being run for the last reply: stop waiting for it

    async def stop_and_wait(self) -> None:
        """Stop the reply as Esc does, and return once it is recorded ("stopped", with its partial text)."""
        workers = [worker for worker in self._reply_workers() if not worker.is_finished]
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(Exception):  # WorkerCancelled: the expected end
                await worker.wait()
