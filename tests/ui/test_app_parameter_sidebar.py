"""The parameter sidebar refuses bad values visibly, applies good ones to the next request, and saves them as
the default in the config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_an_out_of_range_value_is_refused_visibly_and_valid_ones_apply(
    tmp_path: Path, fake_server: FakeServer, size: tuple[int, int]
) -> None:
    fake_server.script(stream_text("one"), stream_text("two"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=size) as pilot:
        await harness.ready(pilot)
        screen = harness.app.screen
        if size[0] < 110:
            await pilot.press("f2")  # a narrow terminal shows the sidebar on request
            await pilot.pause()
        for field in screen.query(".param-input").results(Input):  # each placeholder shown whole, not cut
            assert len(field.placeholder) <= field.content_region.width, (field.placeholder, field.content_region)
        await pilot.click("#param-temperature")
        await enter_text(pilot, "3")
        await pilot.press("tab")
        await pilot.pause()
        error = screen.query_one("#param-temperature-error", Static)
        assert "from 0 to 2" in str(error.render())
        assert error.display and error.region.height >= 1, "the error label is not on the screen"
        field = screen.query_one("#param-temperature", Input)
        assert field.has_class("-invalid")
        # A valid top_p typed after the refused temperature still applies.
        await pilot.click("#param-top_p")
        await enter_text(pilot, "0.9")
        await pilot.press("enter")
        await pilot.click("#prompt")
        await enter_text(pilot, "first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1 and not harness.screen.streaming)
        first = fake_server.chat_requests()[0].json()
        assert "temperature" not in first
        assert first["top_p"] == 0.9
        # Fixing the value applies it to the very next request.
        await pilot.click("#param-temperature")
        field.value = ""
        await enter_text(pilot, "0.5")
        await pilot.press("tab")
        await pilot.pause()
        assert not field.has_class("-invalid")
        assert not screen.query_one("#param-temperature-error", Static).display
        await pilot.click("#prompt")
        await enter_text(pilot, "second")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        second = fake_server.chat_requests()[1].json()
        assert second["temperature"] == 0.5
        assert second["top_p"] == 0.9


async def test_save_as_default_writes_the_config(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50)) as pilot:
        await harness.ready(pilot)
        harness.app.screen.query_one("#param-top_p", Input).focus()
        await enter_text(pilot, "0.9")
        await pilot.click("#param-save-default")
        await pilot.pause()
    text = harness.config_file.read_text()
    assert "top_p = 0.9" in text
    assert harness.config_file.stat().st_mode & 0o777 == 0o600
