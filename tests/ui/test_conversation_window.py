"""ConversationWindow, the bookkeeping of which messages have a widget, without an app: the run it mounts, what it
hands over to mount or remove, and that a message keeps its latest state when its widget goes."""

from __future__ import annotations

from collections.abc import Sequence

from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.conversation_window import ConversationWindow
from toki_tui.ui.widgets.message_view import MessageView


def messages(count: int, start: int = 1) -> list[DisplayMessage]:
    return [DisplayMessage(id=i, role="user", content=f"m{i}") for i in range(start, start + count)]


def ids(views: Sequence[MessageView]) -> list[int | None]:
    return [view.message.id for view in views]


def test_the_newest_messages_are_mounted_and_growing_upwards_stops_at_the_oldest() -> None:
    window = ConversationWindow()
    assert ids(window.replace(messages(10), mounted=4)) == [7, 8, 9, 10]
    assert window.bottom_mounted and window.mounted_count == 4
    views, first = window.grow_above(3)
    assert ids(views) == [4, 5, 6] and first is not None and first.message.id == 7
    views, _ = window.grow_above(5)
    assert ids(views) == [1, 2, 3]
    assert window.grow_above(5) == ([], window.view_at(0))
    assert ids(window.mounted_views()) == list(range(1, 11))


def test_dropping_the_oldest_and_newest_hands_the_views_over_and_stops_at_the_kept_one() -> None:
    window = ConversationWindow()
    window.replace(messages(6), mounted=6)
    assert ids(window.drop_oldest(2)) == [1, 2]
    assert window.view_at(1) is None and window.view_at(2) is not None
    keep = window.view_at(4)
    assert ids(window.drop_newest(3, keep=keep)) == [6]  # stops at message 5's view, the streaming one
    assert ids(window.mounted_views()) == [3, 4, 5] and not window.bottom_mounted
    assert ids(window.grow_below(10)) == [6]
    assert window.bottom_mounted


def test_a_message_appended_below_an_unmounted_end_gets_no_view_until_the_window_reaches_it() -> None:
    window = ConversationWindow()
    window.replace(messages(3), mounted=3)
    window.drop_newest(1, keep=None)
    assert window.append(messages(1, start=4)[0]) is None
    assert ids(window.grow_below(5)) == [3, 4]
    view = window.append(messages(1, start=5)[0])
    assert view is not None and view.message.id == 5 and window.bottom_mounted


def test_recentring_keeps_each_message_as_its_widget_last_showed_it() -> None:
    window = ConversationWindow()
    window.replace(messages(50), mounted=10)
    shown = window.view_at(49)
    assert shown is not None
    shown.mark_json_reply()  # its message changes while mounted
    index = window.index_of(5)
    assert index == 4
    views = window.recentre(index, before=2, after=3)
    assert ids(views) == [3, 4, 5, 6, 7]
    assert window.view_at(49) is None
    assert window.messages[49].json_reply and window.messages[49].content == "m50"
    assert window.messages[0].id == 1 and len(window.messages) == 50
