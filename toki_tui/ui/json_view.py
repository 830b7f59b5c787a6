"""What a reply asked for as JSON shows: the JSON pretty-printed in a highlighted ```json block, once complete.

Only the text shown changes: the message keeps the JSON as it came, which is what copying gives.
"""

from __future__ import annotations

import re

from toki_tui.core.json_reply import pretty_json
from toki_tui.ui.display import DisplayMessage


def shown_content(message: DisplayMessage) -> str:
    """The Markdown the pane renders for `message`: its content, or its JSON pretty-printed in a code block."""
    if not message.json_reply or message.role != "assistant" or message.status != "complete":
        return message.content
    pretty = pretty_json(message.content)
    if pretty is None:
        return message.content
    # A fence longer than any backtick run inside the JSON's strings, so no string can close it.
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", pretty)), default=0))
    return f"{fence}json\n{pretty}\n{fence}"
