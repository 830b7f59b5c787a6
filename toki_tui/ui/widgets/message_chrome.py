"""The small sections of a message around its text: the header line, the reasoning's fold line, a refusal, the
attachments and tool calls, the waiting line and the status badge.

Each is built from the message alone, in the message widget's component styles (`style("meta")` is the style
of `message-view--meta`), as Rich Text from plain strings: nothing in a message is read as markup (model text,
model ids, file names and error messages are untrusted). Clickable parts carry `@click` style meta naming an
action of the widget (`details`, `toggle_reasoning`, `retry`, and the sibling and continue actions).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rich.style import Style
from rich.text import Text

from toki_tui.core.text import displayable, displayable_line
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.line_render import Line, RenderContext, render_lines, render_plain
from toki_tui.ui.reply_header import reply_header_facts
from toki_tui.ui.safe_text import safe_text
from toki_tui.ui.widgets.message_actions import continue_action, reply_note, sibling_marker

StyleOf = Callable[[str], Style]
"""A component style of the message widget by its short name ("role", "meta", "badge"...)."""

ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System", "developer": "Developer", "tool": "Tool"}

STATUS_BADGES = {
    "stopped": "■ stopped",
    "interrupted": "⚠ interrupted: toki closed before this reply finished",
    "error": "✖ error",
    "length": "… truncated: the reply reached max_tokens",
    "content_filter": "⊘ cut off by the provider's content filter",
}


def header_text(message: DisplayMessage, style: StyleOf) -> Text:
    """Who wrote it, with which model, the reply's facts; a finished reply's header opens its details. Its
    outside values (model id, tool call id) hold one line each: a line break could forge a message of its own."""
    header = Text(ROLE_LABELS.get(message.role, displayable_line(message.role).title()), style=style("role"))
    meta = style("meta")
    if message.model:
        header.append(f" · {displayable_line(message.model)}", style=meta)
    if message.tool_call_id:
        header.append(f" · result of {displayable_line(message.tool_call_id)}", style=meta)
    if message.status == "streaming":
        header.append(" · streaming…", style=meta)
    header.append(reply_header_facts(message), style=meta)
    if message.role == "assistant" and message.status != "streaming":
        header.stylize(Style.from_meta({"@click": "details"}))  # the details dialog
    if message.siblings is not None:
        header.append_text(sibling_marker(message.siblings, meta, style("action")))
    return header


def fold_text(expanded: bool, reasoning: str, style: StyleOf) -> Text:
    """The "Thinking" line that folds the reasoning; folded, it counts the reasoning's words."""
    click = Style.from_meta({"@click": "toggle_reasoning"})
    fold = style("fold") + click
    if expanded:
        return Text("▾ Thinking", style=fold)
    words = len(reasoning.split())
    return Text.assemble(("▸ Thinking", fold), (f" ({words:,} words)", style("meta") + click))


def refusal_lines(refusal: str, ctx: RenderContext, style: StyleOf) -> list[Line]:
    if not refusal:
        return []
    return render_lines(Text.assemble(("⊘ Refused: ", style("badge")), (refusal, style("refusal"))), ctx)


def attachment_lines(message: DisplayMessage, ctx: RenderContext, style: StyleOf) -> list[Line]:
    meta = style("meta")
    return [
        line
        for label in message.attachments
        for line in render_lines(Text.assemble(("📎 ", meta), safe_text(label, meta)), ctx)
    ]


def tool_lines(message: DisplayMessage, ctx: RenderContext, style: StyleOf) -> list[Line]:
    """Each tool call: its name and id, then its arguments pretty-printed when they are JSON."""
    lines: list[Line] = []
    for call in message.tool_calls or []:
        name, arguments = tool_call_parts(call)
        title = Text.assemble(("⚙ ", style("tool")), (name, style("tool")))
        if isinstance(call.get("id"), str):  # the id /tool_result answers
            title.append(f"  id {displayable_line(call['id'])}", style=style("meta"))
        lines.extend(render_lines(title, ctx))
        if arguments:
            lines.extend(render_plain(arguments, ctx, style("meta"), indent=2))
    return lines


def status_lines(message: DisplayMessage, waiting: str, ctx: RenderContext, style: StyleOf) -> list[Line]:
    """What the reply waits for, its note, and how it ended unless it is complete (with "retry" after an error
    and "continue" after a cut)."""
    lines: list[Line] = []
    if waiting:
        lines.extend(render_lines(Text(f"⏳ {waiting}", style=style("meta")), ctx))
    status = message.status
    if (note := reply_note(message, style("meta"))) is not None:
        lines.extend(render_lines(note, ctx))
    if status in ("complete", "streaming"):
        return lines
    badge = Text(STATUS_BADGES.get(status, f"● {displayable_line(status)}"), style=style("badge"))
    if status == "length" and message.error:  # cut by toki's own reply limit, not max_tokens
        badge = Text(f"… truncated: {displayable(message.error)}", style=style("badge"))
    if status == "error":
        badge.stylize(style("error"))
        if message.error:
            badge.append(f": {displayable(message.error)}", style=style("error"))
        _append_action(badge, Text("↻ retry", style=style("action") + Style.from_meta({"@click": "retry"})), ctx)
    if (action := continue_action(message, style("action"))) is not None:
        _append_action(badge, action, ctx)
    lines.extend(render_lines(badge, ctx))
    return lines


ACTION_GAP = "   "


def _append_action(badge: Text, action: Text, ctx: RenderContext) -> None:
    """`action` ("↻ retry") after the badge, three spaces on; on a line of its own when it would not fit on the
    badge's last line: word wrapping would otherwise part the arrow from its word (the line breaks at the space)."""
    last = badge.wrap(ctx.console, ctx.width)[-1].cell_len if badge.plain else 0
    fits = last + len(ACTION_GAP) + action.cell_len <= ctx.width
    badge.append(ACTION_GAP if fits else "\n")
    badge.append_text(action)


def tool_call_parts(call: dict[str, Any]) -> tuple[str, str]:
    """The name and pretty arguments of a tool call, in the nested (OpenAI) or flat form; all sanitized."""
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    assert isinstance(function, dict)
    name = displayable_line(str(function.get("name") or "(unnamed tool)"))
    arguments = function.get("arguments") or ""
    if isinstance(arguments, str):
        try:
            arguments = json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
        except ValueError:
            pass  # still streaming or not JSON: show as sent
    else:
        arguments = json.dumps(arguments, indent=2, ensure_ascii=False)
    return name, displayable(arguments)
