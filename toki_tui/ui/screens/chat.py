"""The chat screen: conversation in the middle, prompt below, parameters right, history left (Ctrl+B).

The screen owns the ChatSession and every worker that touches the client or the store; widgets only show what
they are given and post what the user did. Slash commands are handled in chat_commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize, ScreenResume
from textual.timer import Timer
from textual.widgets import Static

from toki_tui.core.attachments import attachment_label
from toki_tui.core.config.config_file import parameters_for_endpoint
from toki_tui.core.errors import APIError, TokiError
from toki_tui.core.session import ChatSession
from toki_tui.ui.code_render import warm_up_imports
from toki_tui.ui.gc_policy import collect_between_turns
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.screens import mcp_tools
from toki_tui.ui.screens.attachment_actions import AttachmentActions
from toki_tui.ui.screens.branch_actions import BranchActions
from toki_tui.ui.screens.path_completion import PathCompletion
from toki_tui.ui.screens.reply_actions import ReplyActions
from toki_tui.ui.screens.reply_pump import pump_reply
from toki_tui.ui.screens.sidebar_layout import HISTORY_AUTO_WIDTH, NARROW_WIDTH, Sidebar, sidebar_shown
from toki_tui.ui.screens.worker_messages import (
    ModelsLoaded,
    ReplyEnded,
    ReplyStateChanged,
    StoreFailed,
)
from toki_tui.ui.widgets.after_first_frame import ChildrenAfterFirstFrame
from toki_tui.ui.widgets.attachment_chips import AttachmentChips
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.key_footer import KeyFooter
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from toki_tui.core.api.model_info import ModelInfo
    from toki_tui.core.store.history_store import HistoryStore


def import_what_start_up_needs() -> None:
    """For a thread, right after the first frame: the history store, the HTTP client (httpx) and the Markdown
    renderer. Imported on the UI thread, they held it long enough to delay a key typed just after the first frame
    (docs/performance.md). A thread still takes the GIL, but hands it back at every switch interval (cli/tui.py)."""
    for module in ("toki_tui.core.store.history_store", "toki_tui.core.api.client"):
        importlib.import_module(module)
    warm_up_imports()


class ChatScreen(AttachmentActions, ReplyActions, BranchActions, PathCompletion):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_reply", "Stop", id="chat.stop"),
        Binding("ctrl+o", "pick_model", "Model", id="chat.model"),
        Binding("ctrl+b", "toggle_history", "History", id="chat.history"),
        Binding("f2,ctrl+g", "toggle_params", "Params", id="chat.params"),
        Binding("ctrl+n", "new_conversation", "New", id="chat.new"),
        Binding("ctrl+r", "retry", "Retry", show=False, id="chat.retry"),
        Binding("ctrl+l", "pick_file", "Attach", show=False, id="chat.attach"),
        Binding("f1", "help", "Help", id="chat.help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.models: list[ModelInfo] = []
        self.models_note = "Loading the model list…"
        self.streaming = False
        self._history_visible: bool | None = None  # None: decided by the width
        self._params_visible: bool | None = None
        self._last_opened_sidebar: Sidebar = "history"  # which keeps its place when there is no room for both
        self._speed_timer: Timer | None = None
        self._countdown_timer: Timer | None = None
        self._countdown_left = 0.0
        self._settings_timer: Timer | None = None
        self._resumed_before = False
        self._unsaved_warned = False

    # ---- building -------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # No containers: the footer and the sidebars are `split` off the screen's edges (styles/app.tcss), in
        # this order, and the conversation, prompt and status line stack in what is left. The footer comes first
        # so that it takes the whole bottom row. Containers under the panes cost a styled, rendered and blank
        # frame each (a third of the lines drawn for the first frame). The focus order follows this order.
        yield KeyFooter()
        yield HistoryList(id="history")
        yield ConversationView(id="conversation")
        yield Static("", id="edit-marker")
        yield Static("", id="prompt-hint")
        yield AttachmentChips(id="attachments")
        yield PromptInput(id="prompt")
        yield StatusLine(id="status")
        yield ParameterSidebar(id="params")

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Runs before Textual's own handler. The first resume comes right after this screen mounted, with every
        # style just applied; Textual would apply them all again (part of the cold start to the first frame).
        # Later resumes (a dialog closed) refresh as usual.
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        app = self.toki
        # The client is given to the session before every request, the store during start-up (and before a
        # request that comes first, _give_session_client_and_store): building the client imports httpx, and
        # opening the history imports and reads the database; the first frame needs neither.
        self.session = ChatSession(
            client=None,
            store=None,
            endpoint_name=app.endpoint.name,
            model=app.endpoint.model,
            params=parameters_for_endpoint(app.config, app.endpoint.name),
            system_prompt=app.config.system_prompt,
            run_store=app.store_thread.run,  # its history reads and writes, in order, off the event loop
        )
        self._show_session_settings()
        status = self.query_one(StatusLine)
        status.endpoint_name = app.endpoint.name
        self.query_one(PromptInput).focus()
        self._apply_layout(self.size.width)
        if app.resume:
            self.open_conversation(app.resume)
        # Everything below waits for the first frame: start-up never waits for the network or a long list.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.toki.started()  # first: the command line turns the garbage collector back on there
        if self.toki.needs_api_key:
            self.ask_for_api_key()
        self._start_up()

    @work(group="start-up", exit_on_error=False)
    async def _start_up(self) -> None:
        # The sidebars mount their fields first, and are painted, before the imports start: the thread doing
        # them takes the GIL half the time, and made the UI thread's own start-up work twice as long (a key typed
        # then waited about twice as long: docs/performance.md).
        for sidebar in self.query(ChildrenAfterFirstFrame):
            await sidebar.wait_until_built()
        await self._next_frame()
        await asyncio.to_thread(import_what_start_up_needs)
        store = await self.toki.history()
        if store is None:
            return  # the app is quitting with the error
        self.session.store = store
        self._show_models(await self._known_models(), self.models_note)  # a picker opened meanwhile shows them too
        self.load_models()
        if self._sidebar_shown("history"):
            self.load_history("")

    async def _next_frame(self) -> None:
        painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.call_after_refresh(lambda: None if painted.done() else painted.set_result(None))
        await painted

    # ---- layout ---------------------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)

    def _sidebar_shown(self, which: Sidebar) -> bool:
        return sidebar_shown(
            which,
            self.size.width,
            history=self._history_visible,
            params=self._params_visible,
            last_opened=self._last_opened_sidebar,
        )

    def _apply_layout(self, width: int) -> None:
        self.set_class(not self._sidebar_shown("history"), "-hide-history")
        self.set_class(not self._sidebar_shown("params"), "-hide-params")
        self.set_class(width < NARROW_WIDTH, "-narrow")

    def action_toggle_history(self) -> None:
        self._history_visible = not self._sidebar_shown("history")
        if self._history_visible:
            self._last_opened_sidebar = "history"
        if self._history_visible and self.size.width < HISTORY_AUTO_WIDTH and self._params_visible is None:
            self._params_visible = False  # two sidebars would squeeze the conversation; F2 brings it back
        self._apply_layout(self.size.width)
        if self._history_visible:
            self.load_history(self._history_query)  # every time: counts and titles change while it is hidden
            self.query_one(HistoryList).focus_search()  # typing searches at once; Down or Enter reach the list
        else:
            self.query_one(HistoryList).forget_focus_request()
            self.query_one(PromptInput).focus()

    def action_toggle_params(self) -> None:
        self._params_visible = not self._sidebar_shown("params")
        if self._params_visible:
            self._last_opened_sidebar = "params"
        self._apply_layout(self.size.width)
        if not self._params_visible:
            self.query_one(PromptInput).focus()

    # ---- the model list -------------------------------------------------------------------------------------

    async def _known_models(self) -> list[ModelInfo]:
        """The cached list and the config's models: the picker's list until the server answers (read after the
        first frame, which needs neither the file nor the records; in a thread, as it reads a file)."""
        from toki_tui.ui.screens.model_loading import known_models

        app = self.toki
        cache_dir, endpoint = app.paths.cache_dir, app.endpoint
        return await asyncio.to_thread(known_models, cache_dir, endpoint.name, endpoint.models, endpoint.model)

    @work(exclusive=True, group="models", exit_on_error=False)
    async def load_models(self) -> None:
        from toki_tui.ui.screens.model_loading import fetch_models

        app = self.toki
        try:
            fetched = await fetch_models(app.client, app.paths.cache_dir, app.endpoint.name)
        except APIError as error:
            note = f"Offline list (cache and config): {error}" if self.models else f"No model list: {error}"
            self.post_message(ModelsLoaded(self.models, note=note, final=True))
            return
        self.post_message(ModelsLoaded(fetched, note=fetched.note, final=True))

    @on(ModelsLoaded)
    def _models_loaded(self, message: ModelsLoaded) -> None:
        self._show_models(message.models, message.note)

    def _show_models(self, models: list[ModelInfo], note: str) -> None:
        from toki_tui.ui.screens.model_picker import ModelPickerScreen

        self.models, self.models_note = models, note
        self.query_one(PromptInput).model_ids = [model.id for model in models]
        for screen in self.app.screen_stack:
            if isinstance(screen, ModelPickerScreen):
                screen.update_models(self.models, self.models_note)

    def action_pick_model(self) -> None:
        from toki_tui.ui.screens.model_picker import ModelPickerScreen

        picker = ModelPickerScreen(self.models, current_model=self.session.model, note=self.models_note)
        self.app.push_screen(picker, self._model_chosen)

    def _model_chosen(self, model_id: str | None) -> None:
        if model_id:
            self.set_model(model_id)
        self.query_one(PromptInput).focus()

    def set_model(self, model_id: str) -> None:
        self.session.model = model_id
        self.query_one(ParameterSidebar).show_model(model_id)
        self.query_one(StatusLine).model_id = model_id
        self.schedule_settings_save()

    # ---- parameters -----------------------------------------------------------------------------------------

    @on(ParameterSidebar.ParameterChanged)
    def _parameter_changed(self, message: ParameterSidebar.ParameterChanged) -> None:
        self.apply_setting(message.name, message.value, echo=False)

    def apply_setting(self, name: str, value: Any, *, echo: bool) -> None:
        """Change one setting of the next request; `echo` also updates the sidebar (for slash commands)."""
        if name == "system_prompt":
            self.session.system_prompt = value
        else:
            self.session.params = self.session.params.replace(**{name: value})
        if echo:
            self._show_session_settings()
        self.schedule_settings_save()

    def schedule_settings_save(self) -> None:
        """Save the settings with the conversation, once typing pauses (not on every keystroke)."""
        if self.session.conversation_id is None:
            return  # a new conversation gets its settings when its first message is saved
        if self._settings_timer is not None:
            self._settings_timer.stop()
        self._settings_timer = self.set_timer(0.4, self._save_settings)

    def _save_settings(self) -> None:
        session = self.session
        if session.conversation_id is not None and session.store is not None:
            self._write_settings(
                session.store,
                session.conversation_id,
                model=session.model,
                endpoint=session.endpoint_name,
                system_prompt=session.system_prompt,
                params=session.params.to_record(),
            )

    @work(group="settings", exit_on_error=False)
    async def _write_settings(self, store: HistoryStore, conversation_id: str, **settings: Any) -> None:
        # The values were taken when typing paused; the write queues on the store thread behind earlier ones.
        try:
            await self.toki.store_thread.run(lambda: store.update_conversation_settings(conversation_id, **settings))
        except TokiError as error:
            self.post_message(StoreFailed(f"Could not save the settings: {error}"))

    @on(ParameterSidebar.ModelPickRequested)
    def _model_pick_requested(self) -> None:
        self.action_pick_model()

    @on(ParameterSidebar.SaveDefaultsRequested)
    def _save_defaults(self) -> None:
        session = self.session
        if self.toki.save_defaults(model=session.model, params=session.params, system_prompt=session.system_prompt):
            self.notify(f"Saved as the default for new conversations in {self.toki.paths.config_file}")

    # ---- sending --------------------------------------------------------------------------------------------

    @on(PromptInput.HintChanged)
    def _hint_changed(self, message: PromptInput.HintChanged) -> None:
        self.query_one("#prompt-hint", Static).update(plain_content(message.hint))
        self.query_one("#prompt-hint").set_class(bool(message.hint), "-visible")

    @on(PromptInput.Submitted)
    def _prompt_submitted(self, message: PromptInput.Submitted) -> None:
        # Imported here, not at the top: the command table is not needed for the first frame.
        from toki_tui.ui.slash_commands import is_slash_command, unescape_prompt

        text = message.text
        if is_slash_command(text):
            from toki_tui.ui.screens.chat_commands import run_slash_command

            run_slash_command(self, text)
            return
        self.send_prompt(unescape_prompt(text))

    def send_prompt(self, text: str) -> None:
        if self.streaming:
            self.query_one(PromptInput).text = text
            self.notify("A reply is still arriving; Esc stops it.", severity="warning")
            return
        if self.toki.needs_api_key:
            self.query_one(PromptInput).text = text
            self.ask_for_api_key()
            return
        conversation = self.query_one(ConversationView)
        from toki_tui.ui.display import DisplayMessage

        # An edited question is asked in place of the old one, with its own files; pending ones wait.
        attachments = self.take_attachments() if self.editing is None else ()
        events, was_retry = self.events_for_prompt(text, attachments)
        labels = tuple(attachment_label(attachment) for attachment in attachments)
        conversation.append_message(DisplayMessage(id=None, role="user", content=text, attachments=labels))
        live = conversation.start_reply(model=self.session.model)
        self._reply_started()
        self.stream_reply(events, live, was_retry=was_retry)

    async def _give_session_client_and_store(self) -> bool:
        """Before a request; False if the history cannot be opened (the app is then quitting with the error).
        The store is normally given during start-up; a prompt sent before that (typed or pasted at once) must
        not run as a session without history, which keeps its messages in memory only."""
        store = await self.toki.history()
        if store is None:
            return False
        self.session.client = self.toki.client
        self.session.store = store
        mcp_tools.offer_tools(self)
        return True

    @work(exclusive=True, group="reply", exit_on_error=False)
    async def stream_reply(self, events: Any, live: Any, *, was_retry: bool) -> None:
        # `events` is the session's generator, not started yet: it reads the store and the client only once
        # pumped, after they are given here.
        if not await self._give_session_client_and_store():
            return
        try:
            await pump_reply(events, live, self.session, self.post_message, was_retry=was_retry)
        finally:
            self._warn_if_unsaved()

    def _warn_if_unsaved(self) -> None:
        """Once: the history stopped taking this session's messages (a full disk); the reply is shown all the same."""
        problem = self.session.save_problem
        if problem is not None and not self._unsaved_warned:
            self._unsaved_warned = True
            self.notify(f"{problem}; this reply was not saved", title="History", severity="warning", timeout=15)

    def _reply_started(self) -> None:
        self.streaming = True
        status = self.query_one(StatusLine)
        status.state, status.notice, status.tokens_per_second = "waiting", "", None
        status.last_usage = None  # the previous reply's usage would read as this one's
        self._speed_timer = self.set_interval(0.25, self._show_speed)
        self.refresh_bindings()

    def _show_speed(self) -> None:
        reply = self.session.reply
        if reply is not None:
            self.query_one(StatusLine).tokens_per_second = reply.tokens_per_second()

    @on(ReplyStateChanged)
    def _reply_state_changed(self, message: ReplyStateChanged) -> None:
        status = self.query_one(StatusLine)
        self._stop_countdown()
        if message.state == "retrying" and message.retry_delay is not None:
            status.state = "waiting"
            self._countdown_left = message.retry_delay
            self._tick_countdown(message.reason)
            self._countdown_timer = self.set_interval(1.0, lambda: self._tick_countdown(message.reason))
        else:
            status.state, status.notice = message.state, ""

    def _tick_countdown(self, reason: str) -> None:
        seconds = max(0, round(self._countdown_left))
        self.query_one(StatusLine).notice = f"{reason}: retrying in {seconds} s"
        live = self.query_one(ConversationView).live_reply
        if live is not None:
            live.set_waiting(f"{reason}: retrying in {seconds} s")
        self._countdown_left -= 1.0

    def _stop_countdown(self) -> None:
        if self._countdown_timer is not None:
            self._countdown_timer.stop()
            self._countdown_timer = None

    @on(ReplyEnded)
    def _reply_ended(self, message: ReplyEnded) -> None:
        self.streaming = False
        self._stop_countdown()
        if self._speed_timer is not None:
            self._speed_timer.stop()
            self._speed_timer = None
        status = self.query_one(StatusLine)
        cut = "cut short" if message.error else "cut at max_tokens"  # an error with "length": toki's reply limit
        status.state = {"complete": "ready", "length": cut}.get(message.status, message.status)
        status.tokens_per_second = None
        status.notice = ""
        status.last_usage = message.usage or None  # this reply's own, or none (stopped before the server said)
        if message.status == "error":
            wait = f" (the server asks to wait {message.retry_after:.0f} s)" if message.retry_after else ""
            status.notice = "Ctrl+R retries" + wait
        self.refresh_bindings()
        if message.conversation_id is not None and self.pending_title:
            self.rename_conversation(self.pending_title)
            self.pending_title = None
        if message.was_retry and message.conversation_id is not None:
            self.open_conversation(message.conversation_id)  # show the new branch, not the replaced reply
        if self._sidebar_shown("history"):
            self.load_history(self._history_query)
        self.call_after_refresh(collect_between_turns)  # after the reply's last frame (see ui/gc_policy.py)
        mcp_tools.after_reply(self, message)

    def action_stop_reply(self) -> None:
        if self.streaming:
            for worker in self.workers:
                if worker.group == "reply":
                    worker.cancel()
        elif self.editing is not None:
            self.cancel_edit()

    async def stop_reply_and_wait(self) -> None:
        """Stop the reply as Esc does, and return once it is recorded ("stopped", with its partial text)."""
        workers = [worker for worker in self.workers if worker.group == "reply" and not worker.is_finished]
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(Exception):  # WorkerCancelled: the expected end
                await worker.wait()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":
            return self.streaming or self.editing is not None  # the Esc hint: while a reply arrives, or an edit
        return True

    @on(ConversationView.RetryRequested)
    def _retry_requested(self) -> None:
        self.action_retry()

    def action_retry(self) -> None:
        if self.streaming or (self.session.conversation_id is None and not self.query_one(ConversationView).messages):
            return
        if self.toki.needs_api_key:
            self.ask_for_api_key()
            return
        live = self.query_one(ConversationView).start_reply(model=self.session.model)
        self._reply_started()
        self.stream_reply(self.session.retry_batches(), live, was_retry=True)

    # ---- dialogs --------------------------------------------------------------------------------------------

    def ask_for_api_key(self) -> None:
        from toki_tui.ui.screens.api_key_dialog import ApiKeyDialog

        if any(isinstance(screen, ApiKeyDialog) for screen in self.app.screen_stack):
            return
        app = self.toki
        dialog = ApiKeyDialog(
            endpoint_name=app.endpoint.name, base_url=app.endpoint.base_url, config_path=str(app.paths.config_file)
        )
        self.app.push_screen(dialog, self._api_key_entered)

    def _api_key_entered(self, key: str | None) -> None:
        self.use_api_key(key)

    @work(group="api-key", exit_on_error=False)
    async def use_api_key(self, key: str | None) -> None:
        if key is None:
            self.notify("No API key yet: history is browsable; set TOKI_API_KEY or send a message to be asked again.")
            return
        if await self.toki.use_api_key(key):
            self.session.client = self.toki.client
            self.notify("API key saved.")
            self.load_models()

    def action_help(self) -> None:
        from toki_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())
