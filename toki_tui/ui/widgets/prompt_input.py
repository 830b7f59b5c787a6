"""The multi-line prompt: Enter sends, Ctrl+J / Alt+Enter insert a newline, Tab completes.

Tab completes a command name, a model id (from `model_ids`, given by the screen), a preset name (`preset_names`),
a fixed choice (`/json on`) or a file path (the screen lists the folder: `PathCompletionWanted`, answered by
`offer_paths`); Tab again cycles through the candidates, which the hint line names. In the prompt Tab is
completion only: it never moves the focus.

Shift+Enter is indistinguishable from Enter in most terminals, so the newline keys are ones every terminal
sends distinctly (Ctrl+J is a raw line feed; Alt+Enter needs a terminal that reports it, e.g. with the kitty
keyboard protocol). Up on the first line recalls the previous prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from toki_tui.ui.key_names import shown_key
from toki_tui.ui.widgets.scroll_keys import SCROLL_KEYS

if TYPE_CHECKING:
    from toki_tui.ui.prompt_completion import CompletionSpot

PLACEHOLDER = "Message…  Enter sends · Ctrl+J or Alt+Enter: new line · / for commands"
_NEWLINE_KEYS = frozenset({"ctrl+j", "alt+enter", "shift+enter", "ctrl+enter"})


@dataclass(frozen=True, slots=True)
class _Cycle:
    """The candidates Tab is cycling through; `produced` is the prompt text it made (any other text ends it)."""

    spot: CompletionSpot
    names: list[str]
    index: int
    produced: str


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
        *SCROLL_KEYS,
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

    class PathCompletionWanted(Message):
        """Tab on a file path: the screen lists the folder and answers with `offer_paths(word, names)`."""

        def __init__(self, prompt: PromptInput, word: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.word = word

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
        self.model_ids: Sequence[str] = ()
        """The model ids `/model` completes, given by the screen (which holds the model list)."""
        self.preset_names: Sequence[str] = ()
        """The preset names `/preset` completes, given by the screen (from the config)."""
        self._cycle: _Cycle | None = None
        self._pending_path: CompletionSpot | None = None

    def on_mount(self) -> None:
        send = shown_key(self.app, "prompt.send", "Enter")
        if send != "Enter":  # the `[keymap]` moved it: the placeholder names the key that sends
            self.placeholder = PLACEHOLDER.replace("Enter sends", f"{send} sends")

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
        if event.key == "tab":
            event.stop()
            event.prevent_default()
            if self.text.startswith("/"):
                self._complete()
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
        if not event.is_printable:
            # A key bound on the prompt itself (Backspace, Ctrl+W, arrows, the keymap's prompt.* keys) runs here,
            # in the order typed. Left to bubble, it reaches its binding only through the app's queue, so the
            # characters typed right after it went in first: a fast "still⌫⌫o" deleted the o.
            active = self.screen.active_bindings.get(event.key)
            if active is not None and active.node is self and active.enabled:
                event.stop()
                event.prevent_default()
                await self.run_action(active.binding.action)
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

    # ---- completion ---------------------------------------------------------------------------------------

    def _complete(self) -> None:
        # Imported only once a command is typed: not part of the cold start.
        from toki_tui.ui.prompt_completion import candidates, completion_spot

        cycle = self._cycle
        if cycle is not None and self.text == cycle.produced:
            self._show_candidate(cycle.spot, cycle.names, (cycle.index + 1) % len(cycle.names))
            return
        spot = completion_spot(self.text)
        if spot is None:
            return
        if spot.kind == "path":
            self._pending_path = spot
            self.post_message(self.PathCompletionWanted(self, spot.word))
            return
        self._offer(spot, candidates(spot, self.model_ids, self.preset_names))

    def offer_paths(self, word: str, names: list[str]) -> None:
        """The screen's answer to PathCompletionWanted; ignored if the prompt changed meanwhile."""
        spot = self._pending_path
        if spot is None or spot.word != word or self.text[spot.start :] != word:
            return
        self._pending_path = None
        self._offer(spot, names)

    def _offer(self, spot: CompletionSpot, names: list[str]) -> None:
        from toki_tui.ui.prompt_completion import candidates_hint, common_prefix

        self._cycle = None
        if not names:
            self._set_hint(candidates_hint([], None))
            return
        if len(names) == 1:
            folder = spot.kind == "path" and names[0].endswith("/")
            self._set_text(self.text[: spot.start] + names[0] + ("" if folder else " "))
            return
        common = common_prefix(names)
        if spot.kind in ("command", "path") and len(common) > len(spot.word):
            self._set_text(self.text[: spot.start] + common)  # as a shell does: the part all candidates share
            return
        self._show_candidate(spot, names, 0)

    def _show_candidate(self, spot: CompletionSpot, names: list[str], index: int) -> None:
        produced = self.text[: spot.start] + names[index]
        self._cycle = _Cycle(spot, names, index, produced)
        self._set_text(produced)

    def give_back(self, text: str) -> None:
        """Put text that could not be sent back in the prompt, the cursor at its end: what is typed next goes
        after it, not before it."""
        self._set_text(text)

    def _set_text(self, text: str) -> None:
        self.text = text
        self.move_cursor(self.document.end)

    def _set_hint(self, hint: str) -> None:
        if hint != self._last_hint:
            self._last_hint = hint
            self.post_message(self.HintChanged(hint))

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        hint = ""
        if self.text.startswith("/"):
            # Imported only once a command is typed: not part of the cold start.
            from toki_tui.ui.prompt_completion import candidates, candidates_hint, completion_spot
            from toki_tui.ui.slash_commands import completion_hint

            cycle = self._cycle
            spot = completion_spot(self.text)
            if cycle is not None and self.text == cycle.produced:
                hint = candidates_hint(cycle.names, cycle.index)
            elif spot is not None and spot.kind == "model" and spot.word:
                hint = candidates_hint(candidates(spot, self.model_ids, self.preset_names), None)
            else:
                hint = completion_hint(self.text)
        self._set_hint(hint)
