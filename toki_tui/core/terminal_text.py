"""Make untrusted text (model output, stored messages, server error text) safe to write to a terminal.

Model output is displayed, never interpreted: escape sequences could recolour the terminal, retitle it, write
to the clipboard (OSC 52) or forge hyperlinks (OSC 8). Every C0/C1 control character except newline and tab is
dropped, which removes the ESC (and CSI) that starts every sequence; a carriage return is dropped too, since it
lets text overwrite what the user already saw.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """`text` without terminal control characters (newline and tab kept)."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub("", text)
