"""What the compare columns do with a message's requests: a cut-short reply is continued from the conversation,
not in its column."""

from __future__ import annotations

from textual.app import App, ComposeResult

from toki_tui.ui.widgets.compare_view import CompareView
from toki_tui.ui.widgets.live_reply import LiveReply
from toki_tui.ui.widgets.message_actions import ContinueWanted


class ColumnsApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.notes: list[str] = []
        self.reached_app: list[ContinueWanted] = []

    def compose(self) -> ComposeResult:
        yield CompareView("q", ["a", "b"], on_key=lambda index, stop: None)

    def notify(self, message: str, **kwargs: object) -> None:  # type: ignore[override]
        self.notes.append(message)

    def on_continue_wanted(self, message: ContinueWanted) -> None:
        self.reached_app.append(message)


async def test_continue_asked_in_a_column_is_answered_there_with_a_notice() -> None:
    app = ColumnsApp()
    async with app.run_test() as pilot:
        app.query(LiveReply).first().post_message(ContinueWanted(7))
        await pilot.pause()
        assert len(app.notes) == 1 and "not continued here" in app.notes[0]
        assert app.reached_app == []  # stopped at the columns: the conversation underneath is not continued
