"""Compare on the chat screen: `/compare` (or the palette's picker) arms it for the next prompt, which then goes to
every model at once, streamed side by side in a CompareView that stands in for the conversation pane.

One worker (group "reply", so Esc and quitting stop it as they stop a reply) runs the core's CompareTurn; each
network read goes into its column's LiveReply through reply_pump.show_batch, the same path as a normal reply.
A timer repaints the column headers (speed, first token, tokens, cost) four times a second, not per token. When
the turn ends the conversation pane is read again from the store, on the branch the turn continues on (its first
reply that did not fail); choosing a column moves it there. The compare view closes when a column is chosen or
the next prompt is sent, and the conversation pane shows that branch with its `‹ 1/3 ›` sibling marker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from textual.widgets import Static

from toki_tui.core.api.events import RetryScheduled
from toki_tui.core.errors import TokiError
from toki_tui.core.pricing import Price, cost_of, format_cost
from toki_tui.core.spend import is_unpriced
from toki_tui.ui.display import DisplayMessage, asked_for_json
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.screens.reply_pump import show_batch
from toki_tui.ui.screens.worker_messages import ReplyEnded
from toki_tui.ui.widgets.compare_view import CompareView, ReplyFigures
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from toki_tui.core.api.events import ResponseStarted, StreamEvent
    from toki_tui.core.api.model_info import ModelInfo
    from toki_tui.core.attachments import Attachment
    from toki_tui.core.compare import CompareTurn
    from toki_tui.core.reply_run import ReplyRun
    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.widgets.live_reply import LiveReply

FLUSH_INTERVAL = 0.1
"""Seconds between two flushes of the columns' text, all in the same tick (the live reply's own pace)."""
FIGURES_EVERY = 3
"""The column headers are repainted every this many flushes (about three times a second)."""

CHARS_PER_TOKEN = 4
"""A reply's tokens before the server counts them: about 4 characters each (as ReplyAccumulator's speed)."""


def _usage_of(run: ReplyRun) -> dict[str, int] | None:
    return run.reply.usage.as_dict() if run.reply.usage is not None else None


def figures_of(run: ReplyRun, price_of: Callable[[str], Price | None]) -> ReplyFigures:
    """A column header's figures: the reply's status, speed, time to first token, tokens and cost. An ended
    reply's cost is the one stored with it (ReplyRun.cost); until then it is worked out as that will be, with
    `price_of`, the session's price lookup, so a model list that arrives meanwhile counts for both."""
    reply = run.reply
    if run.reply_status == "streaming":
        price = price_of(run.model)
        cost, reported = cost_of(reply.usage, price)
    else:
        price, cost, reported = run.price, run.cost, run.cost_reported
    if cost is not None:
        cost_text = format_cost(cost, reported=reported)
    elif price is None:
        cost_text = "cost unknown"
    else:
        cost_text = "cost …" if run.reply_status == "streaming" else "cost unknown"
    status = run.reply_status
    if status == "streaming" and not reply.response_started:
        status = "waiting"
    tokens = reply.usage.completion_tokens if reply.usage is not None else None
    estimated = tokens is None and reply.content_chars > 0
    return ReplyFigures(
        status=status,
        tokens_per_second=reply.tokens_per_second(),
        ttft=reply.ttft,
        tokens=round(reply.content_chars / CHARS_PER_TOKEN) if estimated else tokens,
        tokens_estimated=estimated,
        cost=cost_text,
    )


def _waiting_line(live: LiveReply) -> Callable[[ResponseStarted | RetryScheduled], None]:
    """What a column's reply says about its state: a retry's wait, until its first byte."""

    def show(event: ResponseStarted | RetryScheduled) -> None:
        if isinstance(event, RetryScheduled):
            live.set_waiting(f"retrying in {event.delay:.0f} s ({event.reason})")
        else:
            live.set_waiting("")

    return show


class ReplyPreparer(Protocol):
    may_start: Callable[[], bool]
    before_start: Callable[[], None]

    async def give_session_client_and_store(self) -> bool: ...


class ConversationOpener(Protocol):
    def open_conversation(self, reference: str) -> None: ...


class ModelSource(Protocol):
    @property
    def models(self) -> list[ModelInfo]: ...

    def use(self, model_id: str) -> None: ...


class CompareRunner:
    """`screen` is the node the worker and the timer run on; `replies` gives the session its client and store
    before the requests (False: the app is quitting); `history` shows a conversation again from the store;
    `models` has the model list (for the picker and the prices) and sets the model of the next requests."""

    def __init__(
        self,
        screen: Screen[Any],
        app: TokiApp,
        session: ChatSession,
        replies: ReplyPreparer,
        history: ConversationOpener,
        models: ModelSource,
    ) -> None:
        self._screen = screen
        self._app = app
        self._session = session
        self._prepare = replies.give_session_client_and_store
        replies.may_start = self._reply_may_start
        replies.before_start = self.close
        self._reopen = history.open_conversation
        self._model_source = models
        self.armed: tuple[str, ...] | None = None
        """The models the next prompt goes to, once /compare named them."""
        self.streaming = False
        self.turn: CompareTurn | None = None
        self.view: CompareView | None = None
        self._timer: Timer | None = None
        self._ticks = 0

    def _keys_hint(self) -> str:
        """The compare columns' keys, as the `[keymap]` has them (←/→ and 1-4 stand for their whole group)."""
        key = self._app.key_name
        return (
            f"{key('prompt.messages', 'Shift+Tab')}: to the columns (←/→ or 1-4 select, {key('compare.stop_one', 'X')}"
            f" stops one, {key('compare.continue', 'Enter')} continues with it); {key('chat.stop', 'Esc')} stops all"
        )

    # ---- arming ---------------------------------------------------------------------------------------------

    def arm(self, models: tuple[str, ...]) -> None:
        self.armed = models
        stop = self._app.key_name("chat.stop", "Esc")
        self._marker(f"compare: the next prompt goes to {', '.join(models)} (/compare off or {stop} cancels)")
        self._screen.refresh_bindings()

    def cancel(self) -> None:
        if self.armed is not None:
            self.armed = None
            self._marker("")
            self._app.notify("Compare cancelled: the next prompt goes to one model.")
            self._screen.refresh_bindings()

    def pick(self) -> None:
        """The multi-select picker; what it returns arms compare."""
        from toki_tui.ui.screens.compare_picker import ComparePickerScreen

        picker = ComparePickerScreen(self._model_source.models, marked=self.armed or ())
        self._app.push_screen(picker, self._picked)

    def _picked(self, models: tuple[str, ...] | None) -> None:
        if models:
            self.arm(models)
        self._screen.query_one(PromptInput).focus()

    def _marker(self, text: str) -> None:
        """The line above the prompt saying compare is armed (mounted the first time, as it is rarely used)."""
        found = self._screen.query("#compare-marker")
        if found:
            marker = found.first(Static)
        else:
            marker = Static("", id="compare-marker")
            self._screen.mount(marker, before=self._screen.query_one(PromptInput))
        marker.update(plain_content(text))
        marker.set_class(bool(text), "-visible")

    # ---- the turn -------------------------------------------------------------------------------------------

    def start_if_armed(self, text: str, attachments: tuple[Attachment, ...]) -> bool:
        """Send `text` to the armed models, if compare is armed (True): the compare view stands in for the
        conversation pane meanwhile."""
        models = self.armed
        if models is None:
            return False
        self.armed = None
        self.close()
        self._marker(f"comparing {len(models)} models. {self._keys_hint()}")
        conversation = self._screen.query_one(ConversationView)
        view = CompareView(text, models, self._column_key)
        self.view = view
        conversation.display = False
        self._screen.mount(view, after=conversation)
        self.streaming = True
        self._screen.query_one(StatusLine).state = "comparing"
        self._ticks = 0
        self._timer = self._screen.set_interval(FLUSH_INTERVAL, self._tick)
        self._screen.refresh_bindings()
        start_worker(self._screen, self._run, view, text, models, attachments, group="reply", exclusive=True)
        return True

    async def _run(
        self, view: CompareView, text: str, models: tuple[str, ...], attachments: tuple[Attachment, ...]
    ) -> None:
        from toki_tui.core.compare import start_compare

        try:
            if not await self._prepare():
                return
            try:
                turn = await start_compare(self._session, text, models, attachments)
            except TokiError as error:
                for live in view.lives:
                    live.finish(status="error", error=str(error))
                return
            self.turn = turn

            on_state = [_waiting_line(live) for live in view.lives]

            def on_batch(index: int, batch: list[StreamEvent]) -> None:
                show_batch(view.lives[index], batch, turn.runs[index].reply, on_state[index])

            await turn.run(on_batch, lambda index: self._finish_column(view, turn, index))
        finally:
            self._ended(view)

    def _finish_column(self, view: CompareView, turn: CompareTurn, index: int) -> None:
        run, live = turn.runs[index], view.lives[index]
        reply = run.reply
        usage = reply.usage.as_dict() if reply.usage is not None else None
        live.finish(
            status=run.reply_status,
            error=run.error or run.reply_note,
            message_id=run.reply_message_id,
            usage=usage,
            duration=reply.duration,
            ttft=reply.ttft,
        )
        if run.reply_status == "complete" and asked_for_json(run.params.to_record()):
            live.mark_json_reply()

    def _ended(self, view: CompareView) -> None:
        self.streaming = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._show_figures()
        self._screen.call_after_refresh(view.flush)  # each column at its end, now laid out with its last lines
        self._screen.refresh_bindings()
        turn = self.turn
        if turn is not None and turn.chosen is not None and self.view is view:
            number = turn.chosen + 1
            key = self._app.key_name
            self._marker(
                f"continuing with reply {number}; another: {key('prompt.messages', 'Shift+Tab')}, then ←/→ or 1-4, "
                f"and {key('compare.continue', 'Enter')}"
            )
        conversation_id = self._session.conversation_id
        if conversation_id is not None and self.view is view:
            self._reopen(conversation_id)  # under the compare view: the branch the turn continues on
        # As after any reply: the status line, the history list, a title given before the first message.
        chosen = turn.runs[turn.chosen] if turn is not None and turn.chosen is not None else None
        usage = chosen.reply.usage if chosen is not None else None
        runs = turn.runs if turn is not None else []
        costs = [run.cost for run in runs if run.cost is not None]  # every model answered: each reply counts

        ended = ReplyEnded(
            status=chosen.reply_status if chosen is not None else "error",
            error=None,
            usage=usage.as_dict() if usage is not None else None,
            conversation_id=conversation_id,
            retry_after=None,
            was_retry=False,
            cost=sum(costs) if costs else None,
            cost_reported=all(run.cost_reported for run in runs if run.cost is not None),
            unpriced=sum(
                is_unpriced(run.cost, _usage_of(run), run.reply_status, answered=run.reply.ttft is not None)
                for run in runs
            ),
        )
        self._screen.post_message(ended)

    def _tick(self) -> None:
        view = self.view
        if view is not None and view.is_attached:
            view.flush()
        self._ticks += 1
        if self._ticks % FIGURES_EVERY == 0:
            self._show_figures()

    def _show_figures(self) -> None:
        turn, view = self.turn, self.view
        if turn is not None and view is not None and view.is_attached:
            view.show_figures([figures_of(run, self._session.price_of) for run in turn.runs], turn.chosen)

    def _reply_may_start(self) -> bool:
        """A reply is to start from the conversation (Ctrl+R, /regenerate, /continue): not while the compared
        replies arrive; else the columns close, so that it is seen (it went on unseen under them)."""
        if self.streaming:
            stop = self._app.key_name("chat.stop", "Esc")
            self._app.notify(f"The compared replies are still arriving; {stop} stops them.", severity="warning")
            return False
        self.close()
        return True

    def ready_to_send(self, text: str) -> bool:
        """False while the compared replies arrive (`text` goes back in the prompt, the user is told why). Else
        a finished compare view closes: the conversation goes on in the conversation pane."""
        if self.streaming:
            self._screen.query_one(PromptInput).give_back(text)
            stop = self._app.key_name("chat.stop", "Esc")
            self._app.notify(f"The compared replies are still arriving; {stop} stops them.", severity="warning")
            return False
        self.close()
        return True

    def _column_key(self, index: int, stop: bool) -> None:
        """A key on the compare columns: stop one reply, or continue with one."""
        if stop:
            self.stop_one(index)
        else:
            self.choose(index)

    def stop_all(self) -> None:
        if self.turn is not None:
            self.turn.stop_all()

    def stop_one(self, index: int) -> None:
        if self.turn is not None and self.streaming:
            self.turn.stop(index)

    def focus_view(self) -> bool:
        """Shift+Tab from the prompt: the columns, while they are shown."""
        if self.view is None:
            return False
        self.view.focus()
        return True

    # ---- choosing -------------------------------------------------------------------------------------------

    def choose(self, index: int) -> None:
        """Continue the conversation on column `index`'s reply; the others stay as its siblings."""
        turn = self.turn
        if turn is None or self.streaming:
            stop_one, stop = self._app.key_name("compare.stop_one", "X"), self._app.key_name("chat.stop", "Esc")
            self._app.notify(
                f"The replies are still arriving: wait, or stop them ({stop_one}, {stop}).", severity="warning"
            )
            return
        start_worker(self._screen, self._choose, turn, index, group="compare-choice")

    async def _choose(self, turn: CompareTurn, index: int) -> None:
        try:
            await turn.choose(index)
        except TokiError as error:
            self._app.notify(f"Could not continue on that reply: {error}", severity="error")
            return
        self._show_figures()
        model = turn.runs[index].model
        if model != self._session.model:  # the conversation goes on with the model whose reply was chosen
            self._model_source.use(model)
            self._app.notify(f"The next messages go to {model}, whose reply the conversation continues from.")
        if self._session.conversation_id is not None:
            self._reopen(self._session.conversation_id)  # now on the chosen branch
        self.close()
        self._screen.query_one(PromptInput).focus()

    def close(self) -> None:
        """Put the conversation pane back; it was read again when the turn ended, or a reply was chosen."""
        view, turn = self.view, self.turn
        if view is None:
            return
        self.view = None
        conversation = self._screen.query_one(ConversationView)
        if self._session.conversation_id is None and turn is not None and turn.chosen is not None:
            # Nothing is saved: show what the session keeps.
            conversation.append_message(DisplayMessage(id=None, role="user", content=view.question))
            conversation.append_message(view.lives[turn.chosen].message)
        self.turn = None
        view.remove()
        conversation.display = True
        self._marker("")
