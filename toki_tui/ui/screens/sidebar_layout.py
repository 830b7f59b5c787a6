"""Which sidebars the chat screen shows at a width: the rule, kept apart from the screen that applies it."""

from __future__ import annotations

from typing import Literal

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
