"""TypeAhead keeps typed input that arrives before the first frame and posts it again, in order, once released."""

from __future__ import annotations

from textual import events
from textual.message import Message

from toki_tui.ui.type_ahead import HELD_LIMIT, TypeAhead


def test_keys_and_pastes_are_held_then_posted_again_in_order() -> None:
    type_ahead = TypeAhead()
    assert type_ahead.hold(events.Key("h", "h"))
    assert type_ahead.hold(events.Paste("pasted"))
    assert type_ahead.hold(events.Key("enter", "\r"))
    assert not type_ahead.hold(events.Resize.from_dimensions((80, 24), None))  # not typed input: passes
    posted: list[Message] = []
    type_ahead.release(posted.append)
    assert [type(event).__name__ for event in posted] == ["Key", "Paste", "Key"]
    key, paste, enter = posted
    assert isinstance(key, events.Key) and (key.key, key.character) == ("h", "h")
    assert isinstance(paste, events.Paste) and paste.text == "pasted"
    assert isinstance(enter, events.Key) and enter.key == "enter"
    assert not type_ahead.hold(events.Key("x", "x"))  # released: events pass straight on
    type_ahead.release(posted.append)
    assert len(posted) == 3


def test_a_runaway_input_is_not_kept_whole() -> None:
    type_ahead = TypeAhead()
    for _ in range(HELD_LIMIT + 10):
        assert type_ahead.hold(events.Key("a", "a"))
    posted: list[Message] = []
    type_ahead.release(posted.append)
    assert len(posted) == HELD_LIMIT
