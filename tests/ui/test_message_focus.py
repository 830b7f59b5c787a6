"""A focused message shows it, a question included (its own background used to win over the focus colour)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.widgets.message_view import MessageView


class Messages(App[None]):
    def compose(self) -> ComposeResult:
        yield MessageView(DisplayMessage(id=1, role="user", content="a question"), id="question")
        yield MessageView(DisplayMessage(id=2, role="assistant", content="a reply"), id="reply")


async def test_a_focused_question_and_a_focused_reply_change_their_background() -> None:
    app = Messages()
    async with app.run_test() as pilot:
        for selector in ("#question", "#reply"):
            view = app.query_one(selector, MessageView)
            app.set_focus(None)
            await pilot.pause()
            unfocused = view.styles.background
            view.focus()
            await pilot.pause()
            assert view.has_focus and view.styles.background != unfocused, selector
