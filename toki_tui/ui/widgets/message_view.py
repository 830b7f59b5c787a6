"""One finished message in the conversation pane: ONE cheap line-API widget.

A message is rendered into lines once per width (Markdown blocks, code highlighted once) and the widget hands
those lines to Textual; it has no child widgets, so a window of mounted messages costs little to lay out and
nothing to keep. Reasoning folds, the retry action and the badges are parts of the same lines, made clickable
with `@click` style meta, never with markup parsed from the message (model text is untrusted).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.actions import SkipAction
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from toki_tui.core.text import displayable
from toki_tui.ui import textual_internals
from toki_tui.ui.code_render import highlight_in_slices
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.json_view import shown_content
from toki_tui.ui.key_names import shown_key
from toki_tui.ui.line_render import (
    BLANK,
    HighlightJob,
    Line,
    MarkdownLines,
    PlainTextLines,
    RenderContext,
    first_changed_line,
    render_lines,
)
from toki_tui.ui.search_marks import mark_words
from toki_tui.ui.widgets import message_actions
from toki_tui.ui.widgets.message_chrome import (
    attachment_lines,
    fold_text,
    header_text,
    refusal_lines,
    status_lines,
    tool_lines,
)
from toki_tui.ui.widgets.tool_fold import FoldableText
from toki_tui.ui.workers import start_worker


class MessageView(Widget, can_focus=True):
    """A message, rendered once; clicks on "Thinking" fold it, a click on "retry" asks for a retry. Focused, its
    keys (message_actions.MESSAGE_KEYS) ask the screen for a sibling, a new reply, an edit or a continuation."""

    BINDINGS: ClassVar[list[BindingType]] = message_actions.MESSAGE_KEYS

    DEFAULT_CSS = """
    MessageView {
        height: auto;
        padding: 0 1;
        margin: 0 0 1 0;
        border-left: outer $secondary 60%;
    }
    MessageView.-role-user { border-left: outer $primary; background: $boost; }
    /* After the role rules: of rules of the same weight the later wins, and a focused question must show it. */
    MessageView:focus { background: $accent 15%; }
    MessageView.-role-system, MessageView.-role-developer { border-left: outer $foreground 30%; }
    MessageView.-status-error { border-left: outer $error; }
    MessageView.-status-stopped, MessageView.-status-interrupted, MessageView.-status-length {
        border-left: outer $warning 70%;
    }
    MessageView > .message-view--role { color: $text-secondary; text-style: bold; }
    MessageView.-role-user > .message-view--role { color: $text-primary; }
    MessageView > .message-view--meta { color: $text-muted; }
    MessageView > .message-view--reasoning { color: $text-muted; text-style: italic; }
    MessageView > .message-view--fold { color: $text-muted; text-style: bold; }
    MessageView > .message-view--refusal { color: $text-warning; text-style: italic; }
    MessageView > .message-view--tool { color: $text-accent; text-style: bold; }
    MessageView > .message-view--badge { color: $text-warning; text-style: bold; }
    MessageView > .message-view--error { color: $text-error; }
    MessageView > .message-view--action { color: $text-accent; text-style: bold underline; }
    MessageView > .message-view--code { color: $text-accent; background: $foreground 8%; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-view--role",
        "message-view--meta",
        "message-view--reasoning",
        "message-view--fold",
        "message-view--refusal",
        "message-view--tool",
        "message-view--badge",
        "message-view--error",
        "message-view--action",
        "message-view--code",
    }

    DARK_CODE_THEME: ClassVar[str] = "monokai"
    LIGHT_CODE_THEME: ClassVar[str] = "friendly"

    class RetryClicked(Message):
        """The retry action of an error message was used (ConversationView turns it into RetryRequested)."""

        def __init__(self, message_id: int | None) -> None:
            super().__init__()
            self.message_id = message_id

    class DetailsClicked(Message):
        """The header of a reply was clicked: show how it was made (its id, or None if it was never saved)."""

        def __init__(self, message: DisplayMessage) -> None:
            super().__init__()
            self.message = message

    def __init__(self, message: DisplayMessage, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._message = message
        self._reasoning = PlainTextLines(indent=2)
        self._reasoning.feed(displayable(message.reasoning or ""))
        self._reasoning_expanded = False
        self._reasoning_toggled_by_user = False
        self._markdown = message.role == "assistant"
        self._content = MarkdownLines()
        self._plain_content = FoldableText(foldable=message.role == "tool")  # a tool's result folds when long
        self._feed_content(displayable(shown_content(message)))
        if message.status != "streaming":
            self._content.close()
        self._refusal = displayable(message.refusal or "")
        self._waiting = ""
        self._chrome: list[list[Line]] | None = None  # header, reasoning fold line, refusal, tools, status
        self._chrome_ctx: RenderContext | None = None
        self._lines: list[Line] | None = None
        self._base_style: Style | None = None
        self._lines_ctx: RenderContext | None = None
        self._painted = False  # Textual holds strips for lines painted since the last release_painted_lines()
        self._keep_painted_on_resize = False  # the next resize only added/removed lines at the end
        self._resizing_with_painted_kept = False
        self._marked_words: tuple[str, ...] = ()
        self._apply_classes()

    # -- public -----------------------------------------------------------------------------------------------

    @property
    def message(self) -> DisplayMessage:
        """The message as last shown (for a live reply: as of its last flush)."""
        return self._message

    @property
    def reasoning_expanded(self) -> bool:
        return self._reasoning_expanded

    @property
    def has_reasoning(self) -> bool:
        return bool(self._reasoning.text.strip())

    def toggle_reasoning(self) -> None:
        self._reasoning_toggled_by_user = True
        self._set_reasoning_expanded(not self._reasoning_expanded)

    def release_painted_lines(self) -> None:
        """Let Textual forget the strips it keeps for every line of this widget it has painted: each painted line is
        a Strip with seven small caches, about 1 KB a line, for as long as the widget is mounted. For a message out
        of view that is waste; painting it again is cheap, as its lines are kept here."""
        if self._painted:
            self._painted = False
            self.refresh()

    def action_toggle_reasoning(self) -> None:
        if self.has_reasoning:
            self.toggle_reasoning()

    def action_toggle_fold(self) -> None:
        """Fold or unfold a tool message's long output (its fold line's click; F3 on the focused message), else
        its thinking; with neither, F3 goes on to the screen's (the newest reply's thinking)."""
        if self._plain_content.folds:
            self._plain_content.toggle()
            self._changed()
        elif self.has_reasoning:
            self.toggle_reasoning()
        else:
            raise SkipAction()

    def mark_words(self, words: tuple[str, ...]) -> None:
        """Highlight these words wherever they appear (a search hit opened from the history list)."""
        self._marked_words = words
        self.refresh()

    def saved_as(self, message_id: int) -> None:
        """The message was stored under `message_id` after it was shown (a question sent in this session)."""
        self._message = dataclasses.replace(self._message, id=message_id)

    def action_details(self) -> None:
        self.post_message(self.DetailsClicked(self._message))

    def mark_json_reply(self) -> None:
        """The reply was asked for as JSON: show it pretty-printed if it parses (once, now that it is whole)."""
        self._message = dataclasses.replace(self._message, json_reply=True)
        shown = shown_content(self._message)
        if shown != self._message.content:
            self._content = MarkdownLines()
            self._feed_content(displayable(shown))
            self._content.close()
            self._changed()

    def action_retry(self) -> None:
        if self._message.status == "error":
            self.post_message(self.RetryClicked(self._message.id))

    # -- the message's keys and clickable parts: message_actions decides what the message allows -------------

    def action_previous_sibling(self) -> None:
        self._ask(message_actions.sibling_request(self.message, -1))

    def action_next_sibling(self) -> None:
        self._ask(message_actions.sibling_request(self.message, +1))

    def action_neighbour(self, step: int) -> None:
        (self.screen.focus_previous if step < 0 else self.screen.focus_next)()

    def action_regenerate(self) -> None:
        self._ask(message_actions.regenerate_request(self.message))

    def action_edit(self) -> None:
        self._ask(message_actions.edit_request(self.message))

    def action_continue_reply(self) -> None:
        self._ask(message_actions.continue_request(self.message))

    def _ask(self, request: message_actions.MessageAction | None) -> None:
        if request is not None:
            self.post_message(request)

    # -- rendering --------------------------------------------------------------------------------------------

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._height_for(len(self._all_lines(width)))

    def _height_for(self, line_count: int) -> int:
        """The height taken by `line_count` lines (a live reply takes more: room to grow into)."""
        return line_count

    def render_line(self, y: int) -> Strip:
        self._painted = True
        lines = self._all_lines(self.size.width)
        if self._base_style is None:
            self._base_style = self.rich_style  # computing it walks the ancestors: once per style change
        if y >= len(lines):
            return Strip.blank(self.size.width, self._base_style)
        segments = lines[y]
        if self._marked_words:
            segments = mark_words(segments, self._marked_words)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            segments = self._highlight_selection(segments, *span)
        # The offsets let Textual map the mouse to (x, y) in these lines, for selecting text.
        return Strip(Segment.apply_style(segments, self._base_style)).apply_offsets(0, y)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected part of the text as shown (without the border, so copying picks up no frame)."""
        text = "\n".join(
            "".join(segment.text for segment in line).rstrip() for line in self._all_lines(self.size.width)
        )
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def _highlight_selection(self, segments: Line, start: int, end: int) -> Line:
        length = Segment.get_line_length(segments)
        end = length if end == -1 else min(end, length)
        if start >= end:
            return segments
        before, selected, after = Segment.divide(segments, [start, end, length])
        style = self.screen.get_component_rich_style("screen--selection")
        return [*before, *Segment.apply_style(selected, post_style=style), *after]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
        self._chrome = None
        self._lines = None

    def _render_context(self, width: int) -> RenderContext:
        dark = self.app.current_theme.dark if self.is_attached else True
        code_theme = self.DARK_CODE_THEME if dark else self.LIGHT_CODE_THEME
        return RenderContext(self.app.console, width, code_theme, self._style("code"))

    def _all_lines(self, width: int) -> list[Line]:
        if width <= 0:
            return []
        ctx = self._render_context(width)
        if self._lines is not None and ctx == self._lines_ctx:
            return self._lines
        if self._chrome is None or ctx != self._chrome_ctx:
            self._chrome = self._render_chrome(ctx)
            self._chrome_ctx = ctx
        header, fold, refusal, tools, status = self._chrome
        lines = [*header, *fold]
        if self._reasoning_expanded and fold:
            self._reasoning.set_style(self._style("reasoning"))
            lines.extend(self._reasoning.lines(ctx))
        if self._markdown:
            lines.extend(self._content.lines(ctx))
            for job in self._content.take_highlight_jobs():
                start_worker(self, self._highlight, job, group="highlight")
        else:
            fold_key = shown_key(self.app, "message.fold", "F3")
            lines.extend(self._plain_content.lines(ctx, self._style("fold"), self._style("meta"), fold_key))
        for section in (refusal, tools, status):
            if section and lines:
                lines.append(BLANK)
            lines.extend(section)
        self._lines = lines
        self._lines_ctx = ctx
        return lines

    def _render_chrome(self, ctx: RenderContext) -> list[list[Line]]:
        message, style = self._message, self._style
        fold = fold_text(self._reasoning_expanded, self._reasoning.text, style) if self.has_reasoning else None
        return [
            render_lines(header_text(message, style), ctx),
            render_lines(fold, ctx) if fold is not None else [],
            refusal_lines(self._refusal, ctx, style),
            attachment_lines(message, ctx, style) + tool_lines(message, ctx, style),
            status_lines(message, self._waiting, ctx, style),
        ]

    def _style(self, name: str) -> Style:
        # Full (not partial) styles: theme colours such as $text-muted have alpha and only come out right
        # blended over the widget's background.
        return self.get_component_rich_style(f"message-view--{name}")

    async def _highlight(self, job: HighlightJob) -> None:
        """Highlight a long fence in slices of a few milliseconds, so keys and the stream keep flowing."""
        highlighted = await highlight_in_slices(job.block.text, job.block.language, job.ctx)
        if self._content.apply_highlight(job, highlighted):
            self._changed()

    # -- state changes ----------------------------------------------------------------------------------------

    def _feed_content(self, text: str) -> None:
        if self._markdown:
            self._content.feed(text)
        else:
            self._plain_content.feed(text)

    def _set_reasoning_expanded(self, expanded: bool) -> None:
        if expanded != self._reasoning_expanded:
            self._reasoning_expanded = expanded
            self._changed(chrome=True)

    def _apply_classes(self) -> None:
        self.set_classes(f"-role-{self._message.role} -status-{self._message.status}")

    def _changed(self, *, chrome: bool = False) -> None:
        """Something shown changed: re-assemble the lines, repaint only the lines that changed, and re-layout
        only if the height changed."""
        old_lines = self._lines
        if chrome:
            self._chrome = None
        self._lines = None
        width = self.size.width
        if not self.is_attached or width <= 0:
            self.refresh(layout=True)
            return
        new_lines = self._all_lines(width)
        resized = old_lines is None or self._height_for(len(new_lines)) != self.size.height
        first = 0 if old_lines is None else first_changed_line(old_lines, new_lines)
        if first == 0:
            self.refresh(layout=resized)
            return
        # A streaming reply changes at its end: its settled lines above stay as Textual painted them. Repainting
        # only the changed lines spares re-styling a screenful of unchanged lines at every flush.
        changed = max(len(new_lines), len(old_lines or ())) - first
        if changed <= 0:
            return
        self._keep_painted_on_resize = resized
        self.refresh(Region(0, first, width, changed), layout=resized)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual repaints a widget whole when its size changes. When only the height changed because lines were
        # added or removed at the end (marked for repaint in `_changed`), the lines above are still right.
        keep = self._keep_painted_on_resize and size.width == self.outer_size.width
        self._keep_painted_on_resize = False
        self._resizing_with_painted_kept = keep
        try:
            # layout=False: Textual would otherwise store the new virtual size through a reactive that asks for
            # another layout of the whole screen right after the one that measured it: two layouts per flush
            # of a growing reply. This widget has no children to place and its height is already applied.
            return textual_internals.size_updated_without_layout(super(), size, virtual_size, container_size)
        finally:
            self._resizing_with_painted_kept = False

    def _set_dirty(self, *regions: Region) -> None:
        if not regions and self._resizing_with_painted_kept:
            return
        textual_internals.set_dirty(super(), *regions)
