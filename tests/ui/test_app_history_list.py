"""The history list: each entry's second line fits the list, and counts follow new messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Static

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until
from tests.ui.test_app_history_and_keys import open_store, seed
from toki_tui.ui.widgets.history_list import HistoryList


def entry_lines(pilot: Any) -> list[str]:
    options = pilot.app.screen.query_one("#history-options", OptionList)
    return [options.render_line(y).text.rstrip() for y in range(options.virtual_size.height)]


async def send(pilot: Any, harness: Any, text: str, count: int) -> None:
    await pilot.click("#prompt")
    await enter_text(pilot, text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(harness.server.chat_requests()) == count and not harness.screen.streaming)


async def test_history_entries_fit_their_width_and_counts_stay_current(tmp_path: Path, fake_server: FakeServer) -> None:
    store = open_store(tmp_path)
    seed(store, "apples", 1, model="deepseek/deepseek-chat-v3-0324")
    fake_server.script(stream_text("one"), stream_text("two"))
    harness = make_app(tmp_path, fake_server, resume="last", store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        history = harness.app.screen.query_one(HistoryList)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: history.option_count == 1)
        await pilot.pause()
        lines = entry_lines(pilot)
        assert len(lines) == 2, f"an entry wraps: {lines!r}"
        assert lines[0] == "apples question 0"
        assert "2 msg" in lines[1]
        # A finished reply refreshes the list it is shown in ...
        await send(pilot, harness, "more", 1)
        await wait_until(pilot, lambda: "4 msg" in entry_lines(pilot)[1])
        # ... and a list shown again is read afresh.
        await pilot.press("ctrl+b")
        await send(pilot, harness, "again", 2)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: "6 msg" in entry_lines(pilot)[1])
        assert len(entry_lines(pilot)) == 2
        # On a narrow terminal the list is narrower still, and the line is cut to fit rather than wrapped.
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await wait_until(pilot, lambda: len(entry_lines(pilot)) == 2)
        assert "6 msg" in entry_lines(pilot)[1]
        # A title of any length (renamed, imported) takes about two lines, cut with an ellipsis.
        prompt = harness.screen.query_one("#prompt")
        prompt.text = "/title " + "long " * 60
        prompt.focus()
        await pilot.press("enter")
        await pilot.press("ctrl+b", "ctrl+b")
        await wait_until(pilot, lambda: "long long" in entry_lines(pilot)[0])
        lines = entry_lines(pilot)
        assert 3 <= len(lines) <= 4 and lines[-2].endswith("…") and "6 msg" in lines[-1], lines
        # A search with no match says so right under the search box, where the list was (not at the sidebar's
        # foot under an empty box); the list comes back, fitted, when the search is cleared.
        search = history.query_one("#history-search", Input)
        search.value = "zzzz-nothing"
        empty = history.query_one("#history-empty", Static)
        await wait_until(pilot, lambda: "No match." in str(empty.render()) and empty.region.height == 1)
        assert empty.region.y <= search.region.bottom + 1, (empty.region, search.region)
        assert not history.query_one("#history-options", OptionList).display
        search.value = ""
        await wait_until(pilot, lambda: history.option_count == 1 and not empty.display)
        await wait_until(pilot, lambda: "6 msg" in entry_lines(pilot)[-1] and entry_lines(pilot)[-2].endswith("…"))
