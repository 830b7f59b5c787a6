"""The status line: usage belongs to the reply it is shown with; the speed shows while a reply streams."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until
from toki_tui.ui.widgets.status_line import StatusLine


async def test_a_stopped_reply_does_not_show_the_previous_replys_usage(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(
        stream_text("short answer", usage={"prompt_tokens": 12, "completion_tokens": 172, "total_tokens": 184}),
        stream_text([f"word{i} " for i in range(400)], chunk_delay=0.02, usage=False),
    )
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        status = harness.app.screen.query_one(StatusLine)
        await enter_text(pilot, "first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1 and not harness.screen.streaming)
        assert "12 in · 172 out" in str(status.render())
        await enter_text(pilot, "second")
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.streaming)
        assert "172 out" not in str(status.render()), "the last reply's usage shows while a new one starts"
        await wait_until(
            pilot, lambda: harness.screen.session.reply is not None and "word3" in harness.screen.session.reply.content
        )
        # The speed is updated with the live reply's flushes (no timer of its own).
        await wait_until(pilot, lambda: "tok/s" in str(status.render()))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not harness.screen.streaming)
        shown = str(status.render())
        assert "stopped" in shown and "tok/s" not in shown
        assert "172 out" not in shown and "12 in" not in shown
