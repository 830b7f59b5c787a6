"""The lines under a reply (message_chrome.py): an action after the badge is never split from its arrow."""

from __future__ import annotations

from rich.console import Console
from rich.style import Style

from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.line_render import RenderContext
from toki_tui.ui.widgets.message_chrome import status_lines


def test_retry_stays_whole_wherever_the_error_text_ends() -> None:
    width = 40
    ctx = RenderContext(Console(width=width), width, "monokai")
    for length in range(1, 3 * width):
        message = DisplayMessage(
            id=7, role="assistant", content="", status="error", error="word " * (length // 5) + "x"
        )
        shown = [
            "".join(segment.text for segment in line) for line in status_lines(message, "", ctx, lambda _: Style())
        ]
        assert any("↻ retry" in line for line in shown), (length, shown)
        assert all(len(line.rstrip()) <= width for line in shown)
