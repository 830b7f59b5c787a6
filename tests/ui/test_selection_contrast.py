"""Text selected with the mouse is readable in every built-in theme, in true colour and after the reduction to the
256-colour palette a terminal with TERM=xterm-256color gets (the selection once took the colour of its text)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color, ColorSystem
from rich.style import Style

from tests.fakes.server import FakeServer
from tests.ui.app_support import make_app
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.themes import load_builtin_themes
from toki_tui.ui.widgets.message_view import MessageView

MIN_CONTRAST = 4.5
"""WCAG AA for body text."""

TEXT_PARTS = ("role", "meta", "reasoning", "fold", "refusal", "tool", "badge", "error", "action", "code")


def luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color.get_truecolor()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: Color, two: Color) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def selected(text: Style, selection: Style, system: ColorSystem) -> tuple[Color, Color]:
    """The text and background colours of selected text as MessageView draws it (selection applied over the
    text's style), reduced to `system`."""
    style = text + selection
    assert style.color is not None and style.bgcolor is not None
    return style.color.downgrade(system), style.bgcolor.downgrade(system)


@pytest.mark.parametrize("theme", [theme.name for theme in load_builtin_themes()])
async def test_selected_text_is_readable(theme: str, tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(80, 24)) as pilot:
        harness.app.theme = theme
        view = MessageView(DisplayMessage(id=1, role="assistant", content="x", model="m"))
        await harness.screen.query_one("#conversation").mount(view)
        await pilot.pause()
        selection = harness.screen.get_component_rich_style("screen--selection")
        texts = [view.rich_style, *(view.get_component_rich_style(f"message-view--{part}") for part in TEXT_PARTS)]
        for system in (ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT):
            for text in texts:
                foreground, background = selected(text, selection, system)
                ratio = contrast(foreground, background)
                assert ratio >= MIN_CONTRAST, f"{theme} {system.name}: {text} selected: {ratio:.2f}"
