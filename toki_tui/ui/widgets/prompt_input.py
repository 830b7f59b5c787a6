"""The multi-line prompt: Enter sends, Ctrl+J / Alt+Enter insert a newline, Tab completes slash commands.

Shift+Enter is indistinguishable from Enter in most terminals, so the newline keys are ones every terminal
sends distinctly (Ctrl+J is a raw line feed; Alt+Enter needs a terminal that reports it, e.g. with the kitty
keyboard protocol). Up on the first line recalls the previous prompt.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

PLACEHOLDER = "Message…  Enter sends · Ctrl+J or Alt+Enter: new line · / for commands"
_NEWLINE_KEYS = frozenset({"ctrl+j", "alt+enter", "shift+enter", "ctrl+enter"})


class PromptInput(TextArea):
    """The prompt. Posts `Submitted` with the text; never sends anything itself."""

    # Enter is handled in _on_key, in order with the typed characters. A priority binding would run before the
    # characters still queued for this widget were inserted, so text typed or pasted in one burst followed by
    # Enter (fast typists, tmux send-keys, terminals without bracketed paste) was sent cut short or not at all.
    # The binding stays for the footer's key hint.
    # The transcript scrolls from here, so reading back never means leaving the prompt (these keys would
    # otherwise move the cursor a page within a prompt of at most ten lines).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send", show=True, id="prompt.send"),
        # Shift+Tab goes to the messages (where ← → walk branches), whatever follows the prompt in the focus chain.
        Binding("shift+tab", "to_messages", "Messages", show=False, id="prompt.messages"),
        Binding(
            "pageup", "scroll_transcript('page_up')", "Scroll", show=False, key_display="PgUp", id="prompt.page_up"
        ),
        Binding(
            "pagedown",
            "scroll_transcript('page_down')",
            "Scroll down",
            show=False,
            key_display="PgDn",
            id="prompt.page_down",
        ),
        Binding("ctrl+home", "scroll_transcript('oldest')", "Oldest", show=False, id="prompt.oldest"),
        Binding("ctrl+end", "scroll_transcript('latest')", "Latest", show=False, id="prompt.latest"),
    ]

    class Submitted(Message):
        """The user pressed Enter on a non-empty prompt."""

        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

        @property
        def control(self) -> PromptInput:
            return self.prompt

    class ScrollRequested(Message):
        """Scroll the conversation: `where` is "page_up", "page_down", "oldest" or "latest"."""

        def __init__(self, where: str) -> None:
            super().__init__()
            self.where = where

    class MessagesWanted(Message):
        """Shift+Tab: the focus should go to the newest message of the conversation."""

    class HintChanged(Message):
        """The command hint under the prompt changed (empty when not typing a command)."""

        def __init__(self, hint: str) -> None:
            super().__init__()
            self.hint = hint

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder=PLACEHOLDER,
            compact=True,
        )
        self._sent_history: list[str] = []
        self._recall_index: int | None = None
        self._last_hint = ""

    def action_to_messages(self) -> None:
        self.post_message(self.MessagesWanted())

    def action_submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        self._sent_history.append(text)
        self._recall_index = None
        self.clear()
        self.post_message(self.Submitted(self, text))

    def action_scroll_transcript(self, where: str) -> None:
        self.post_message(self.ScrollRequested(where))

    def insert_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key in _NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert_newline()
            return
        if event.key == "tab" and self.text.startswith("/"):
            from toki_tui.ui.slash_commands import complete_prompt  # only once a command is typed: cold start

            completed = complete_prompt(self.text)
            if completed is not None:
                event.stop()
                event.prevent_default()
                self.text = completed
                self.move_cursor(self.document.end)
                return
        recalling = not self.text or self._recall_index is not None
        if event.key == "up" and self.cursor_location[0] == 0 and self._sent_history and recalling:
            event.stop()
            event.prevent_default()
            self._recall(-1)
            return
        if event.key == "down" and self._recall_index is not None:
            event.stop()
            event.prevent_default()
            self._recall(+1)
            return
        await super()._on_key(event)

    def _recall(self, step: int) -> None:
        index = len(self._sent_history) if self._recall_index is None else self._recall_index
        index = max(0, min(len(self._sent_history), index + step))
        if index == len(self._sent_history):
            self._recall_index = None
            self.text = ""
        else:
            self._recall_index = index
            self.text = self._sent_history[index]
        self.move_cursor(self.document.end)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        hint = ""
        if self.text.startswith("/"):
            from toki_tui.ui.slash_commands import completion_hint  # only once a command is typed: cold start

            hint = completion_hint(self.text)
        if hint != self._last_hint:
            self._last_hint = hint
            self.post_message(self.HintChanged(hint))
