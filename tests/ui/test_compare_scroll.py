"""A compare column taller than its room: while the reply streams the column keeps its last line in view (it
scrolls inside the fixed compare area, the screen does not grow), and once finished the reply is scrollable to its
end, which is shown; a short reply beside it stays at its top."""

from __future__ import annotations

from pathlib import Path

from textual.containers import VerticalScroll

from tests.fakes.per_model import by_model
from tests.fakes.server import FakeServer, text_reply
from tests.ui.app_support import make_app, wait_until
from toki_tui.ui.widgets.compare_view import CompareView
from toki_tui.ui.widgets.prompt_input import PromptInput

LINES = 120


async def test_a_long_reply_in_a_column_follows_its_end_and_ends_scrolled_to_it(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    long_reply = [f"line {number}\n\n" for number in range(1, LINES + 1)]
    fake_server.default_reply = by_model(
        {"m/long": text_reply(long_reply, chunk_delay=0.01), "m/short": text_reply("Short.")},
        default=text_reply("unused"),
    )
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.ready(pilot)
        screen = harness.screen
        prompt = screen.query_one(PromptInput)
        prompt.text = "/compare m/long m/short"
        await pilot.press("enter")
        prompt.text = "Go"
        await pilot.press("enter")
        view = screen.query_one(CompareView)
        long_column, short_column = view.columns
        scroller = long_column.query_one(VerticalScroll)
        area_height = view.size.height

        def end_in_view() -> bool:
            bottom = scroller.scroll_y + scroller.scrollable_content_region.height
            return scroller.scroll_y > 0 and long_column.live.text_height <= bottom

        # While streaming, past the first screenful, the last line is in view, and the area keeps its height.
        await wait_until(pilot, lambda: long_column.live.text_height > 2 * scroller.size.height and end_in_view())
        assert screen.compare.streaming and view.size.height == area_height

        await wait_until(pilot, lambda: not screen.compare.streaming)
        await wait_until(pilot, lambda: scroller.scroll_y == scroller.max_scroll_y > 0)
        assert long_column.live.size.height == long_column.live.text_height  # no blank room left below the text
        last_row = scroller.scroll_y + scroller.scrollable_content_region.height - 1
        assert (
            f"line {LINES}"
            in long_column.live.render_line(int(last_row) - 1).text + long_column.live.render_line(int(last_row)).text
        )
        assert short_column.query_one(VerticalScroll).scroll_y == 0
