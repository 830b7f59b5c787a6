"""Outside text as Rich `Text` and Textual `Content`: made displayable, and never parsed as markup.

`toki_tui.core.text.displayable` removes what a terminal would act on; this module is the other half of the rule:
the result reaches Rich and Textual only as a `Text` or `Content` built from the plain string. Textual parses a
plain `str` as markup in many places (a notification, a border title, `Static.update`, an option's prompt, the
fuzzy matcher's highlight), where `[/]` in a title crashes the app and `[@click=...]` runs an action on a click.
Widgets that show outside text take one of these objects, never the string.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.content import Content

from toki_tui.core.text import displayable, displayable_line, exact_visible


def safe_text(text: str, style: str | Style = "") -> Text:
    """A Rich `Text` of untrusted `text`: displayable, and never parsed as markup."""
    return Text(displayable(text), style=style)


def plain_content(text: str) -> Content:
    """A Textual `Content` of untrusted `text` (may span lines): displayable, and never parsed as markup."""
    return Content(displayable(text))


def plain_line(text: str) -> Content:
    """A Textual `Content` of an untrusted one-line value (a title, a model id, a file name): displayable, on one
    line, cut to a sane length, and never parsed as markup."""
    return Content(displayable_line(text))


def exact_content(text: str) -> Content:
    """A Textual `Content` of untrusted text the user confirms (a command to run, a tool call's arguments): no
    control acts on the terminal, and nothing is removed (`exact_visible`); never parsed as markup."""
    return Content(exact_visible(text))
