"""Helpers for the conversation pane tests: a tiny app around ConversationView and ways to read its picture."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from tests.ui.terminal_frame import screen_strips
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView


class ConversationApp(App[None]):
    """The conversation pane above an Input, as the chat screen has it."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        yield ConversationView()
        yield Input(id="prompt")

    @property
    def conversation(self) -> ConversationView:
        return self.query_one(ConversationView)


def widget_strips(widget: Widget) -> list[Strip]:
    """Every line the widget paints (all of it, not only the part inside the viewport)."""
    return widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))


def widget_text(widget: Widget) -> str:
    return "\n".join(strip.text.rstrip() for strip in widget_strips(widget))


def message_text(view: MessageView) -> str:
    """All of a message's text as rendered, whether or not layout has caught up with it yet."""
    selected = view.get_selection(Selection(None, None))
    assert selected is not None
    return selected[0]


def screen_text(app: App[Any]) -> str:
    """The text of the whole screen as it would be painted."""
    return "\n".join(strip.text.rstrip() for strip in screen_strips(app))


def make_messages(count: int, first_id: int = 1) -> list[DisplayMessage]:
    return [
        DisplayMessage(
            id=first_id + index,
            role="user" if index % 2 == 0 else "assistant",
            content=f"message number {first_id + index}\n\nsome *markdown* text",
            model=None if index % 2 == 0 else "toki-1",
        )
        for index in range(count)
    ]
