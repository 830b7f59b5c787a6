"""The rule for which sidebars show: the width decides until the user chooses; two never squeeze the
conversation below MIN_CONVERSATION_WIDTH columns."""

from __future__ import annotations

import pytest

from toki_tui.ui.screens.sidebar_layout import (
    HISTORY_AUTO_WIDTH,
    MIN_CONVERSATION_WIDTH,
    NARROW_SIDEBAR_WIDTH,
    NARROW_WIDTH,
    PARAMS_AUTO_WIDTH,
    SIDEBAR_WIDTH,
    Sidebar,
    SidebarChoice,
    sidebar_shown,
)


def shown(width: int, history: bool | None, params: bool | None, last_opened: Sidebar = "history") -> tuple[bool, bool]:
    return (
        sidebar_shown("history", width, history=history, params=params, last_opened=last_opened),
        sidebar_shown("params", width, history=history, params=params, last_opened=last_opened),
    )


def test_before_any_choice_the_width_decides() -> None:
    assert shown(80, None, None) == (False, False)
    assert shown(PARAMS_AUTO_WIDTH, None, None) == (False, True)
    assert shown(HISTORY_AUTO_WIDTH, None, None) == (True, True)


def test_a_choice_wins_over_the_width() -> None:
    assert shown(HISTORY_AUTO_WIDTH, False, None) == (False, True)
    assert shown(80, True, None) == (True, False)
    assert shown(80, None, True) == (False, True)


@pytest.mark.parametrize("last_opened", ["history", "params"])
def test_with_no_room_for_both_only_the_one_opened_last_shows(last_opened: Sidebar) -> None:
    tight = 2 * NARROW_SIDEBAR_WIDTH + MIN_CONVERSATION_WIDTH - 1
    assert shown(tight, True, True, last_opened) == (last_opened == "history", last_opened == "params")
    roomy = 2 * NARROW_SIDEBAR_WIDTH + MIN_CONVERSATION_WIDTH
    assert roomy < NARROW_WIDTH
    assert shown(roomy, True, True, last_opened) == (True, True)
    assert shown(NARROW_WIDTH, True, True, last_opened) == (True, True)
    assert NARROW_WIDTH - 2 * SIDEBAR_WIDTH >= MIN_CONVERSATION_WIDTH  # wide sidebars fit from NARROW_WIDTH on


def test_ctrl_b_on_a_middle_width_hides_the_parameters_until_f2_brings_them_back() -> None:
    width = PARAMS_AUTO_WIDTH  # the parameters show by themselves, the history does not
    choice = SidebarChoice()
    assert choice.toggle("history", width) is True
    assert (choice.shown("history", width), choice.shown("params", width)) == (True, False)
    assert choice.toggle("params", width) is True
    assert choice.last_opened == "params" and choice.shown("params", width)
    assert choice.toggle("history", width) is False and not choice.shown("history", width)
