"""The chat screen: conversation in the middle, prompt below, parameters right, history left (Ctrl+B).

The screen builds the widgets and owns the ChatSession and one object per part of the chat, each given what it
needs (this screen as the node its workers and timers run on, the app, the session, the parts it calls): `replies`
(the streaming reply), `history` (which conversation is shown, the history list), `branches` (siblings,
regenerate, edit, continue), `reply_actions` (details, copy, export), `settings`, `model_choice`, `api_key`,
`attachments`, `sidebars`, `costs`. Key actions and message handlers stay here (Textual finds them only on DOM
nodes), each passing what happened to the part it concerns (docs/architecture.md); slash commands: chat_commands.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize, ScreenResume
from textual.screen import Screen
from textual.widgets import Static

from toki_tui.core.attachments import attachment_label
from toki_tui.core.config.config_file import parameters_for_endpoint
from toki_tui.core.session import ChatSession
from toki_tui.ui.gc_policy import collect_between_turns
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.screens import preset_actions
from toki_tui.ui.screens.api_key_request import ApiKeyRequest
from toki_tui.ui.screens.branch_actions import BranchActions, BranchShown, EditReady
from toki_tui.ui.screens.compare_runner import CompareRunner
from toki_tui.ui.screens.cost_tracker import CostTracker
from toki_tui.ui.screens.history_browser import HistoryBrowser, HistoryRead
from toki_tui.ui.screens.model_choice import ModelChoice
from toki_tui.ui.screens.path_completion import complete_path
from toki_tui.ui.screens.pending_attachments import PendingAttachments
from toki_tui.ui.screens.reply_actions import ReplyActions
from toki_tui.ui.screens.reply_runner import ReplyRunner
from toki_tui.ui.screens.session_settings import SessionSettings
from toki_tui.ui.screens.sidebar_layout import Sidebars
from toki_tui.ui.screens.start_up import start_up
from toki_tui.ui.screens.worker_messages import (
    ConversationLoaded,
    ConversationLoadFailed,
    ConversationRenamed,
    HistoryLoaded,
    ModelsLoaded,
    OlderMessagesLoaded,
    ReplyEnded,
    ReplyStateChanged,
    StoreFailed,
)
from toki_tui.ui.widgets import message_actions
from toki_tui.ui.widgets.attachment_chips import AttachmentChips
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.key_footer import KeyFooter
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar
from toki_tui.ui.widgets.prompt_input import PromptInput
from toki_tui.ui.widgets.status_line import StatusLine
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from toki_tui.core.api.model_info import ModelInfo
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.widgets.message_view import MessageView


class ChatScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_reply", "Stop", id="chat.stop"),
        Binding("ctrl+o", "pick_model", "Model", id="chat.model"),
        Binding("ctrl+b", "toggle_history", "History", id="chat.history"),
        Binding("f2,ctrl+g", "toggle_params", "Params", id="chat.params"),
        Binding("ctrl+n", "new_conversation", "New", id="chat.new"),
        Binding("ctrl+r", "retry", "Retry", show=False, id="chat.retry"),
        Binding("ctrl+l", "pick_file", "Attach", show=False, id="chat.attach"),
        Binding("f1", "help", "Help", id="chat.help"),
        Binding("f3", "toggle_thinking", "Thinking", show=False, id="chat.thinking"),
        Binding("f4", "reply_details", "Details", show=False, id="chat.details"),
        Binding("f5", "copy_reply", "Copy", show=False, id="chat.copy"),
        Binding("f8", "copy_code", "Copy code", show=False, id="chat.copy_code"),
    ]

    def __init__(self) -> None:
        super().__init__()
        app = self.toki
        # The client is given to the session before every request, the store during start-up (and before a
        # request that comes first, ReplyRunner.give_session_client_and_store): building the client imports httpx,
        # and opening the history imports and reads the database; the first frame needs neither.
        self.session = ChatSession(
            client=None,
            store=None,
            endpoint_name=app.endpoint.name,
            model=app.endpoint.model,
            params=parameters_for_endpoint(app.config, app.endpoint.name),
            system_prompt=app.config.system_prompt,
            run_store=app.store_thread.run,  # its history reads and writes, in order, off the event loop
        )
        self.settings = SessionSettings(self, app, self.session)
        self.model_choice = ModelChoice(self, app, self.session, self.settings)
        self.api_key = ApiKeyRequest(self, app, self.session, key_saved=self.model_choice.load)
        self.replies: ReplyRunner = ReplyRunner(self, app, self.session, ask_for_api_key=self.api_key.ask)
        self.costs = CostTracker(self, app, self.session)
        self.history = HistoryBrowser(self, app, self.session, self.settings, shown=self.costs.show_conversation)
        self.branches: BranchActions = BranchActions(
            self, app, self.session, replies=self.replies, history=self.history, ask_for_api_key=self.api_key.ask
        )
        self.reply_actions: ReplyActions = ReplyActions(self, app, self.session)
        self.attachments = PendingAttachments(self, app)
        self.compare: CompareRunner = CompareRunner(
            self, app, self.session, self.replies, self.history, self.model_choice
        )
        self.sidebars = Sidebars(self)
        self._resumed_before = False

    @property
    def toki(self) -> TokiApp:
        return cast("TokiApp", self.app)

    @property
    def streaming(self) -> bool:
        """A reply (or a compare turn's replies) is arriving, or an MCP tool runs: Esc stops it."""
        return self.replies.streaming or self.compare.streaming or bool(self.replies.mcp.calling)

    @property
    def models(self) -> list[ModelInfo]:
        """The model list the picker offers (the cache and the config's until the server answers)."""
        return self.model_choice.models

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
        self.settings.show()
        self.query_one(StatusLine).endpoint_name = app.endpoint.name
        self.query_one(PromptInput).focus()
        self.sidebars.apply(self.size.width)
        preset_actions.start(self)
        if app.resume:
            self.history.open_conversation(app.resume)
        # Everything below waits for the first frame: start-up never waits for the network or a long list.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.toki.started()  # first: the command line turns the garbage collector back on there
        if self.toki.needs_api_key:
            self.api_key.ask()
        work = partial(
            start_up, self, self.toki, self.session, models=self.model_choice, then=self._load_history_if_shown
        )
        start_worker(self, work, group="start-up")

    def _load_history_if_shown(self) -> None:
        if self.sidebars.shown("history"):
            self.history.load_history()

    # ---- layout ---------------------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self.sidebars.apply(event.size.width)

    def action_toggle_history(self) -> None:
        if self.sidebars.toggle_history():
            self.history.load_history()  # every time: counts and titles change while it is hidden

    def action_toggle_params(self) -> None:
        self.sidebars.toggle_params()

    # ---- keys -----------------------------------------------------------------------------------------------

    def action_pick_model(self) -> None:
        self.model_choice.pick()

    def action_new_conversation(self) -> None:
        if self.branches.editing is not None:
            self.branches.cancel_edit()
        if self.streaming:
            self.action_stop_reply()
        self.compare.close()
        self.history.start_new()
        preset_actions.conversation_started(self)
        self.query_one(PromptInput).focus()

    def action_toggle_thinking(self) -> None:
        """Fold or unfold the newest message's reasoning (a key of the screen: the pane has no letter keys)."""
        self.query_one(ConversationView).action_toggle_reasoning()

    def action_reply_details(self) -> None:
        self.reply_actions.show_target_details()

    def action_copy_reply(self) -> None:
        self.reply_actions.copy_reply(code=False, block=None)

    def action_copy_code(self) -> None:
        self.reply_actions.copy_reply(code=True, block=None)

    def action_pick_file(self) -> None:
        self.attachments.pick()

    def action_help(self) -> None:
        from toki_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_stop_reply(self) -> None:
        if self.streaming:
            self.replies.stop()  # a compare turn too: its worker is in the same group
        elif self.branches.editing is not None:
            self.branches.cancel_edit()
        elif self.compare.armed is not None:
            self.compare.cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":  # the Esc hint: while a reply arrives, or an edit, or compare is armed
            return self.streaming or self.branches.editing is not None or self.compare.armed is not None
        return True

    def action_retry(self) -> None:
        self.replies.retry()

    # ---- sending --------------------------------------------------------------------------------------------

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
        if not self.compare.ready_to_send(text) or not self.replies.ready_to_send(text):
            return
        from toki_tui.ui.display import DisplayMessage

        # An edited question is asked in place of the old one, with its files and those shown above the prompt.
        attachments = self.attachments.take()
        if self.branches.editing is None and self.compare.start_if_armed(text, attachments):
            return
        events, was_retry = self.branches.events_for_prompt(text, attachments)
        labels = tuple(attachment_label(attachment) for attachment in attachments)
        self.query_one(ConversationView).append_message(
            DisplayMessage(id=None, role="user", content=text, attachments=labels)
        )
        self.replies.start(events, was_retry=was_retry)

    @on(ReplyStateChanged)
    def _reply_state_changed(self, message: ReplyStateChanged) -> None:
        self.replies.state_changed(message)

    @on(ReplyEnded)
    def _reply_ended(self, message: ReplyEnded) -> None:
        self.replies.ended(message)
        self.costs.reply_ended(message)
        self.history.reply_saved(message.conversation_id)
        if message.was_retry and message.conversation_id is not None:
            self.history.open_conversation(message.conversation_id)  # the new branch, not the replaced reply
        self._load_history_if_shown()
        self.branches.reply_ended(message)
        self.call_after_refresh(collect_between_turns)  # after the reply's last frame (see ui/gc_policy.py)

    # ---- what the widgets ask for ---------------------------------------------------------------------------

    @on(PromptInput.HintChanged)
    def _hint_changed(self, message: PromptInput.HintChanged) -> None:
        self.query_one("#prompt-hint", Static).update(plain_content(message.hint))
        self.query_one("#prompt-hint").set_class(bool(message.hint), "-visible")

    @on(PromptInput.PathCompletionWanted)
    def _path_completion_wanted(self, message: PromptInput.PathCompletionWanted) -> None:
        start_worker(self, complete_path, message.prompt, message.word, group="path-completion", exclusive=True)

    @on(PromptInput.ScrollRequested)
    def _scroll_requested(self, message: PromptInput.ScrollRequested) -> None:
        self.query_one(ConversationView).action_scroll_transcript(message.where)

    @on(PromptInput.MessagesWanted)
    def _messages_wanted(self, message: PromptInput.MessagesWanted) -> None:
        message.stop()
        if not self.compare.focus_view() and not self.query_one(ConversationView).focus_newest_message():
            self.focus_previous()

    @on(ConversationView.TypedHere)
    def _typed_in_conversation(self, message: ConversationView.TypedHere) -> None:
        prompt = self.query_one(PromptInput)
        self.set_focus(prompt)  # at once, so the next keys go straight to the prompt, in order
        if message.submit:
            prompt.action_submit()
        else:
            prompt.insert(message.text)

    @on(ConversationView.RetryRequested)
    def _retry_requested(self) -> None:
        self.action_retry()

    @on(ConversationView.OlderMessagesWanted)
    def _older_wanted(self, message: ConversationView.OlderMessagesWanted) -> None:
        self.history.load_older(message.before_message_id)

    @on(message_actions.SiblingWanted)
    @on(message_actions.RegenerateWanted)
    @on(message_actions.EditWanted)
    @on(message_actions.ContinueWanted)
    def _message_action(self, message: message_actions.MessageAction) -> None:
        message.stop()
        self.branches.act(message)

    def on_message_view_details_clicked(self, event: MessageView.DetailsClicked) -> None:
        event.stop()
        self.reply_actions.show_reply_details(event.message)

    @on(HistoryList.SearchChanged)
    def _history_search(self, message: HistoryList.SearchChanged) -> None:
        self.history.search(message.query)

    @on(HistoryList.ConversationChosen)
    def _history_chosen(self, message: HistoryList.ConversationChosen) -> None:
        if self.streaming:
            stop = self.toki.key_name("chat.stop", "Esc")
            self.notify(f"A reply is still arriving; {stop} stops it first.", severity="warning")
            return
        self.compare.close()
        self.history.open_chosen(message)
        self.query_one(PromptInput).focus()

    @on(AttachmentChips.Removed)
    def _chip_removed(self, message: AttachmentChips.Removed) -> None:
        self.attachments.remove(message.index)

    @on(ParameterSidebar.ParameterChanged)
    def _parameter_changed(self, message: ParameterSidebar.ParameterChanged) -> None:
        self.settings.apply(message.name, message.value, echo=False)

    @on(ParameterSidebar.ModelPickRequested)
    def _model_pick_requested(self) -> None:
        self.model_choice.pick()

    @on(ParameterSidebar.SaveDefaultsRequested)
    def _save_defaults(self) -> None:
        self.settings.save_as_defaults()

    # ---- what the workers found -----------------------------------------------------------------------------

    @on(ConversationLoaded)
    def _conversation_loaded(self, message: ConversationLoaded) -> None:
        opened_another = message.conversation.conversation_id != self.session.conversation_id
        self.branches.conversation_loaded(message)  # first: it compares with the conversation still open
        self.history.show_loaded(message)
        if opened_another:
            preset_actions.conversation_opened(self)

    @on(ConversationLoadFailed)
    @on(OlderMessagesLoaded)
    @on(HistoryLoaded)
    @on(ConversationRenamed)
    def _history_read(self, message: HistoryRead) -> None:
        self.history.receive(message)

    @on(BranchShown)
    @on(EditReady)
    def _branch_read(self, message: BranchShown | EditReady) -> None:
        self.branches.receive(message)

    @on(ModelsLoaded)
    def _models_loaded(self, message: ModelsLoaded) -> None:
        self.model_choice.show(message.models, message.note)

    @on(StoreFailed)
    def _store_failed(self, message: StoreFailed) -> None:
        self.notify(message.text, severity="error")
