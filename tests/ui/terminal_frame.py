"""What the app would write to a real terminal for its current screen, for tests that check that nothing from
outside text takes effect there.

Headless apps write nothing, so the frame is rebuilt from the screen's compositor (Textual has no public way to
get the strips of a whole screen; `App.export_screenshot` gives SVG, where control characters are already gone).
This is the one place tests use `Screen._compositor`; `test_terminal_frame_sees_the_screen`
(tests/ui/test_textual_internals.py) fails loudly if Textual changes it.
"""

from __future__ import annotations

from typing import Any

from rich.color import ColorSystem
from textual.app import App
from textual.strip import Strip


def screen_strips(app: App[Any]) -> list[Strip]:
    return list(app.screen._compositor.render_strips())


def terminal_output(app: App[Any]) -> str:
    """The current screen as a terminal would receive it: each segment's text inside its style's sequences (SGR,
    and OSC 8 for a segment that carries a link)."""
    parts: list[str] = []
    for strip in screen_strips(app):
        for text, style, _control in strip:
            parts.append(style.render(text, color_system=ColorSystem.TRUECOLOR) if style else text)
        parts.append("\n")
    return "".join(parts)


def click_actions(app: App[Any]) -> list[str]:
    """Every `@click` action on the screen (what a mouse click would run)."""
    actions: list[str] = []
    for strip in screen_strips(app):
        for _text, style, _control in strip:
            if style is not None and style.meta:
                action = style.meta.get("@click")
                if action is not None:
                    actions.append(str(action))
    return actions


def screen_plain_text(app: App[Any]) -> str:
    return "\n".join(strip.text for strip in screen_strips(app))
