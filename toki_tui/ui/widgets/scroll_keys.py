"""The keys that scroll the conversation from the keyboard: bound on the prompt and on the conversation pane (so they
work wherever the focus is), under the same ids, so that one `[keymap]` entry remaps them in both places."""

from __future__ import annotations

from textual.binding import Binding, BindingType

SCROLL_KEYS: list[BindingType] = [
    Binding("pageup", "scroll_transcript('page_up')", "Scroll", show=False, key_display="PgUp", id="prompt.page_up"),
    Binding(
        "pagedown",
        "scroll_transcript('page_down')",
        "Scroll down",
        show=False,
        key_display="PgDn",
        id="prompt.page_down",
    ),
    Binding("ctrl+home", "scroll_transcript('oldest')", "Oldest", show=False, id="prompt.oldest"),
    Binding("ctrl+end", "scroll_transcript('latest')", "Latest", show=False, id="prompt.latest"),
]
"""`where` in the action: "page_up", "page_down", "oldest" or "latest"."""
