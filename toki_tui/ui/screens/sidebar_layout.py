"""Which sidebars the chat screen shows at a width: the rule (pure), what the user chose (`SidebarChoice`), and
`Sidebars`, which applies both to the screen's classes as its width or the choice changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from textual.screen import Screen

Sidebar = Literal["history", "params"]

HISTORY_AUTO_WIDTH = 150
"""At this width and wider the history list shows without asking; below it Ctrl+B shows it."""
PARAMS_AUTO_WIDTH = 110
"""At this width and wider the parameter sidebar shows without asking."""
NARROW_WIDTH = 100
"""Below this width the screen is `-narrow`: sidebars of NARROW_SIDEBAR_WIDTH columns, a shorter prompt."""
SIDEBAR_WIDTH, NARROW_SIDEBAR_WIDTH = 34, 30
"""The sidebars' widths, as styles/app.tcss sets them."""
MIN_CONVERSATION_WIDTH = 20
"""Both sidebars show only if they leave the conversation at least this many columns."""


def sidebar_wanted(which: Sidebar, chosen: bool | None, width: int) -> bool:
    """The user's choice (Ctrl+B, F2), or, before there is one, what the width affords."""
    if chosen is not None:
        return chosen
    return width >= (HISTORY_AUTO_WIDTH if which == "history" else PARAMS_AUTO_WIDTH)


def room_for_both_sidebars(width: int) -> bool:
    sidebar = NARROW_SIDEBAR_WIDTH if width < NARROW_WIDTH else SIDEBAR_WIDTH
    return width - 2 * sidebar >= MIN_CONVERSATION_WIDTH


def sidebar_shown(
    which: Sidebar, width: int, *, history: bool | None, params: bool | None, last_opened: Sidebar
) -> bool:
    """Shown if wanted, unless both are wanted and the conversation would be left less than
    MIN_CONVERSATION_WIDTH columns: then the one opened last is shown. (With no room at all, Textual failed to lay
    out the prompt and the app crashed.)"""
    chosen, other, other_chosen = (history, "params", params) if which == "history" else (params, "history", history)
    if not sidebar_wanted(which, chosen, width):
        return False
    if sidebar_wanted(other, other_chosen, width) and not room_for_both_sidebars(width):  # type: ignore[arg-type]
        return which == last_opened
    return True


class SidebarChoice:
    """What the user chose with Ctrl+B and F2 (None: not yet, the width decides), and which sidebar was opened
    last (it keeps its place when there is no room for both)."""

    def __init__(self) -> None:
        self.history: bool | None = None
        self.params: bool | None = None
        self.last_opened: Sidebar = "history"

    def shown(self, which: Sidebar, width: int) -> bool:
        return sidebar_shown(which, width, history=self.history, params=self.params, last_opened=self.last_opened)

    def toggle(self, which: Sidebar, width: int) -> bool:
        """Show `which` if hidden at `width`, hide it if shown; True when it is now shown."""
        visible = not self.shown(which, width)
        if which == "history":
            self.history = visible
            if visible and width < HISTORY_AUTO_WIDTH and self.params is None:
                self.params = False  # two sidebars would squeeze the conversation; F2 brings it back
        else:
            self.params = visible
        if visible:
            self.last_opened = which
        return visible


class Sidebars:
    """The chat screen's sidebars: shown or hidden by the screen's classes `-hide-history` and `-hide-params`
    (styles/app.tcss), with `-narrow` below NARROW_WIDTH."""

    def __init__(self, screen: Screen[Any]) -> None:
        self._screen = screen
        self.choice = SidebarChoice()

    def shown(self, which: Sidebar) -> bool:
        return self.choice.shown(which, self._screen.size.width)

    def apply(self, width: int) -> None:
        screen, choice = self._screen, self.choice
        screen.set_class(not choice.shown("history", width), "-hide-history")
        screen.set_class(not choice.shown("params", width), "-hide-params")
        screen.set_class(width < NARROW_WIDTH, "-narrow")

    def toggle_history(self) -> bool:
        """Ctrl+B: True when the history list is now shown (its search then has the focus)."""
        from toki_tui.ui.widgets.history_list import HistoryList
        from toki_tui.ui.widgets.prompt_input import PromptInput

        width = self._screen.size.width
        shown = self.choice.toggle("history", width)
        self.apply(width)
        if shown:
            self._screen.query_one(HistoryList).focus_search()  # typing searches at once; Down or Enter reach the list
        else:
            self._screen.query_one(HistoryList).forget_focus_request()
            self._screen.query_one(PromptInput).focus()
        return shown

    def toggle_params(self) -> None:
        """F2: the parameter sidebar shown or hidden (the prompt has the focus back)."""
        from toki_tui.ui.widgets.prompt_input import PromptInput

        width = self._screen.size.width
        shown = self.choice.toggle("params", width)
        self.apply(width)
        if not shown:
            self._screen.query_one(PromptInput).focus()
