"""A compare turn on screen: the question, then one column per model, each a live reply under a header.

The columns stand side by side, or stack as rows when the terminal is narrower than STACK_BELOW columns; the view
fills the conversation pane's place and each column scrolls inside it. Each column's reply is the conversation's
own LiveReply widget (same rendering, same finished view), in a scroller that follows its end in jumps of two
thirds of a column (CompareColumn.follow); the compare runner's one timer flushes all of them in the same tick
(HELD_FLUSH). The header says the model and its live figures (ReplyFigures), repainted by that timer, not per
token. The view only shows, and passes the keys the user pressed (stop one, continue with one) to the compare
runner that made it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.widget import Widget

from toki_tui.core.text import displayable_line
from toki_tui.ui import textual_internals
from toki_tui.ui.display import DisplayMessage
from toki_tui.ui.key_names import shown_key
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.live_reply import LiveReply
from toki_tui.ui.widgets.message_actions import ContinueWanted
from toki_tui.ui.widgets.message_view import MessageView

STACK_BELOW = 100
"""Terminal widths under this stack the columns as rows: three columns of 30 cells wrap prose badly."""

MIN_STACKED_ROWS = 9
"""Stacked columns that would each get fewer rows than this (border, header and a few lines of reply) show one at a
time under a line of tabs: at 80x24, three stacked columns had room for their headers and one line of text."""

HELD_FLUSH = 3600.0
"""The columns' own flush interval: in effect never. Their text is shown by CompareView.flush, called for all of
them in the same tick, so that three growing replies cost one layout of the screen per tick, not three."""


FOLLOW_JUMP = 2 / 3
"""How far a column following its streaming reply scrolls at once, as a share of its height: each jump repaints
the whole column, the lines filled in between only themselves."""


RESERVED_COLUMNS = 3
"""When a jump needs the reply taller, it is made this many column heights taller than the jump needs: blank
room below the text (the scrollbar counts it) that saves a layout of the screen at the next jumps."""


@dataclass(frozen=True, slots=True)
class ReplyFigures:
    """What a column's header says besides the model."""

    status: str = "waiting"
    tokens_per_second: float | None = None
    ttft: float | None = None
    tokens: int | None = None
    tokens_estimated: bool = False
    """`tokens` is estimated from the text so far (the server gives the count with its usage, at the end)."""
    cost: str = "cost unknown"


FIGURE_LINES = 2
"""The header's lines for the figures, under the model's line (the header is three lines high)."""

_DROPPED_FIRST = ("ttft", "speed", "tokens")
"""The figures left out, in this order, when a narrow column cannot show them all in FIGURE_LINES lines: the
status and the cost always stay (four columns at 120 cells are 17 cells wide)."""


def _packed(parts: Sequence[str], width: int) -> list[str]:
    """The parts in lines of at most `width` cells, joined by " · ", never a part split across lines."""
    lines: list[str] = []
    line = ""
    for part in parts:
        joined = f"{line} · {part}" if line else part
        if line and len(joined) > width:
            lines.append(line)
            line = part
        else:
            line = joined
    return [*lines, line]


def figure_lines(figures: ReplyFigures, width: int) -> list[str]:
    """`streaming · 41 tok/s · 1st token 0.32 s · 120 tok · ≈$0.0003` in at most FIGURE_LINES lines of `width`
    cells, leaving out the time to first token, then the speed, then the tokens where they do not fit."""
    parts = [("status", figures.status)]
    if figures.tokens_per_second is not None:
        parts.append(("speed", f"{figures.tokens_per_second:.0f} tok/s"))
    if figures.ttft is not None:
        parts.append(("ttft", f"1st token {figures.ttft:.2f} s"))
    if figures.tokens is not None:
        parts.append(("tokens", f"{'~' if figures.tokens_estimated else ''}{figures.tokens} tok"))
    parts.append(("cost", figures.cost))
    if width <= 0:  # not laid out yet
        return [" · ".join(text for _, text in parts)]
    for count in range(len(_DROPPED_FIRST) + 1):
        dropped = _DROPPED_FIRST[:count]
        lines = _packed([text for name, text in parts if name not in dropped], width)
        if len(lines) <= FIGURE_LINES:
            return lines
    return lines[:FIGURE_LINES]


def header_text(number: int, model: str, figures: ReplyFigures, *, chosen: bool, width: int) -> Content:
    """`1 model` (the id shown as text, cut to `width` with an ellipsis), then the figures (figure_lines)."""
    mark = "  ✓ continuing here" if chosen else ""
    title = Content.assemble((f"{number} ", "bold $accent"), (displayable_line(model), "bold"), (mark, "bold $success"))
    figures_text = "\n".join(figure_lines(figures, width))
    return Content.assemble(title.truncate(width, ellipsis=True), "\n", (figures_text, "dim"))


class CompareHeader(Widget):
    """Three lines of fixed height, repainted in place (no layout) when the figures change."""

    DEFAULT_CSS = """
    CompareHeader { height: 3; width: 1fr; text-overflow: ellipsis; padding: 0 1; }
    """

    def __init__(self, number: int, model: str) -> None:
        super().__init__()
        self.number = number
        self.model = model
        self.figures = ReplyFigures()
        self.chosen = False

    def show(self, figures: ReplyFigures, *, chosen: bool = False) -> None:
        if figures != self.figures or chosen != self.chosen:
            self.figures, self.chosen = figures, chosen
            self.refresh()

    def render(self) -> RenderResult:
        return header_text(self.number, self.model, self.figures, chosen=self.chosen, width=self.content_size.width)


class ColumnScroller(VerticalScroll):
    """A column's scroller: its reply's growth is laid out once, not twice."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual would store the new virtual size (the reply grew) through a reactive that asks for another layout
        # of the screen right after the one that measured it; the reply inside is already placed. A scrollbar that
        # appears or goes still lays out (its own reactive).
        return textual_internals.size_updated_without_layout(super(), size, virtual_size, container_size)


class CompareColumn(Vertical):
    DEFAULT_CSS = """
    CompareColumn { width: 1fr; height: 1fr; border: round $secondary 50%; padding: 0; }
    CompareColumn.-selected { border: round $accent; }
    CompareColumn > VerticalScroll { height: 1fr; }
    CompareColumn LiveReply { margin: 0; }
    """

    def __init__(self, number: int, model: str) -> None:
        super().__init__()
        self.header = CompareHeader(number, model)
        self.live = LiveReply(model=model, flush_interval=HELD_FLUSH)
        # Not focusable: a message's keys (regenerate, edit, siblings) act on the conversation pane, hidden meanwhile.
        self.live.can_focus = False
        self._scroller = ColumnScroller()
        self._settled = False  # followed to its end after it finished
        self._followed_to = 0  # the last scroll position `follow` set: above it, the user scrolled up
        self._jumping = False  # a scroll `follow` asked for is not made yet

    def compose(self) -> ComposeResult:
        yield self.header
        with self._scroller:
            yield self.live

    def flush(self) -> None:
        """Show what the reply received since the last flush, and keep its end in view."""
        if not self.live.is_finished:
            # The column's height from the start: the first lines fill it without laying out the screen.
            self.live.reserve_height(self._scroller.scrollable_content_region.height)
            self.live.flush()
        self.follow()

    def follow(self) -> None:
        """Keep the reply's end in view, until the user scrolls up (and again once they scroll back to it).

        While the reply streams, the column scrolls in jumps (FOLLOW_JUMP): when the text reaches the column's
        bottom, it scrolls so that the last line is a third of the way down, and new lines fill the blank below,
        which repaints only those lines. Scrolling a line or so at each flush would move, and so repaint, the whole
        column at every flush, in every column. The reply is kept a column taller than the next jump needs
        (LiveReply.reserve_height), so most jumps are made at once, in the frame that shows the new text, without
        laying out the screen. A finished reply is as tall as its text: taller than the column, it is shown at
        its end."""
        scroller = self._scroller
        if self._settled:
            return
        viewport = scroller.scrollable_content_region.height
        end = self.live.text_height
        seen_up_to = scroller.scroll_y + viewport
        # A deferred jump is made after the next frame (a busy event loop may first run another flush); the reply
        # shrinks to its text when it finishes, which can pull the scroller up from where the last jump left it.
        followed_to = min(self._followed_to, scroller.max_scroll_y)
        following = self._jumping or scroller.scroll_y >= followed_to or seen_up_to >= end
        if self.live.is_finished:
            self._settled = True
            if following and end > viewport:
                scroller.scroll_end(animate=False)
            return
        if not following or viewport <= 0 or end <= seen_up_to:
            return
        target = max(0, end - round(viewport * (1 - FOLLOW_JUMP)))
        self._followed_to = target
        if target <= scroller.max_scroll_y:
            scroller.scroll_to(y=target, animate=False, immediate=True)
        else:  # after the layout that makes the reply tall enough
            self.live.reserve_height(target + RESERVED_COLUMNS * viewport)
            self._jumping = True
            scroller.scroll_to(y=target, animate=False, on_complete=self._jumped)

    def _jumped(self) -> None:
        """Where the jump got to: less far than asked if the reply was not yet laid out at its new height (the next
        flush jumps again)."""
        self._jumping = False
        self._followed_to = round(self._scroller.scroll_y)


TAB_MARKS = {"complete": "✓", "error": "✖", "stopped": "■", "streaming": "↓", "waiting": "⋯"}
"""A tab's state in one sign when its model id would otherwise be cut to a few letters (four tabs at 80 cells)."""


def tabs_text(headers: Sequence[CompareHeader], selected: int, width: int) -> Content:
    """One line naming every column (`1 model · complete`, or `1 model ✓` where the id needs the room), the
    selected one highlighted, for a pane too short to stack them; ids are outside text, shown as plain text and
    shortened so that every tab fits the width."""
    per_tab = width // max(1, len(headers))
    pieces: list[Content | str] = []
    for index, header in enumerate(headers):
        status = header.figures.status
        state = f" · {status} "
        label = f" {header.number} {displayable_line(header.model)}"
        if len(label) + len(state) + 1 > per_tab and status in TAB_MARKS:  # the id needs the room more
            state = f" {TAB_MARKS[status]} "
        room = max(4, per_tab - len(state) - 1)
        label = label if len(label) <= room else label[: room - 1] + "…"
        pieces.append(Content.styled(label + state, "reverse bold $accent" if index == selected else "dim"))
        pieces.append(" ")
    tabs = Content.assemble(*pieces)
    hint = "←/→ or 1-4 after Shift+Tab"
    if tabs.cell_length + len(hint) <= width:
        tabs = Content.assemble(tabs, Content.styled(hint, "dim italic"))
    return tabs.truncate(width, ellipsis=True)


class CompareTabs(Widget):
    """The line of tabs shown instead of stacking when the pane is short (CompareView's -tabbed class)."""

    DEFAULT_CSS = """
    CompareTabs { height: 1; width: 1fr; display: none; }
    """

    def __init__(self, view: CompareView) -> None:
        super().__init__(id="compare-tabs")
        self._view = view

    def render(self) -> RenderResult:
        view = self._view
        return tabs_text([column.header for column in view.columns], view.selected, self.content_size.width)


class CompareView(Vertical, can_focus=True):
    """Keys (while it has focus): ←/→ or 1-4 select a column, X stops its reply, Enter continues with it."""

    DEFAULT_CSS = """
    CompareView { height: 1fr; }
    CompareView > #compare-question { max-height: 6; margin: 0; }
    CompareView > #compare-columns { layout: horizontal; height: 1fr; }
    CompareView.-stacked > #compare-columns { layout: vertical; }
    CompareView.-tabbed > CompareTabs { display: block; }
    CompareView.-tabbed > #compare-columns > CompareColumn { display: none; }
    CompareView.-tabbed > #compare-columns > CompareColumn.-selected { display: block; }
    CompareView:focus > #compare-columns > CompareColumn.-selected { border: heavy $accent; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "select(-1)", "Column left", show=False, id="compare.left"),
        Binding("right", "select(1)", "Column right", show=False, id="compare.right"),
        Binding("1", "select_number(1)", show=False, id="compare.first"),
        Binding("2", "select_number(2)", show=False, id="compare.second"),
        Binding("3", "select_number(3)", show=False, id="compare.third"),
        Binding("4", "select_number(4)", show=False, id="compare.fourth"),
        Binding("x", "stop_selected", "Stop this one", id="compare.stop_one"),
        Binding("enter", "continue_selected", "Continue with this one", id="compare.continue"),
    ]

    def __init__(self, question: str, models: Sequence[str], on_key: Callable[[int, bool], object]) -> None:
        """`on_key(index, stop)`: the user wants column `index`'s reply (0-based) stopped (`stop`), or the
        conversation continued on it."""
        # No fixed id: a finished view is removed (asynchronously) when the next compare mounts its own, and
        # two views with one id would be refused (DuplicateIds) for that moment.
        super().__init__()
        self._column_key = on_key
        self.question = question
        self.columns = [CompareColumn(number, model) for number, model in enumerate(models, 1)]
        self.selected = 0

    def compose(self) -> ComposeResult:
        question = MessageView(DisplayMessage(id=None, role="user", content=self.question), id="compare-question")
        question.can_focus = False
        yield question
        yield CompareTabs(self)
        with Vertical(id="compare-columns"):
            yield from self.columns

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_selected":  # the X hint: only while a reply is still arriving
            return not all(live.is_finished for live in self.lives)
        return True

    async def _on_key(self, event: events.Key) -> None:
        # What is typed here and is not a key of the columns belongs in the prompt (as in the conversation pane),
        # and Esc, once no reply is arriving (while one is, it stops them all), goes back to it.
        ended = all(live.is_finished for live in self.lives)
        typed = event.is_printable and event.character and event.key not in self.screen.active_bindings
        if typed or (event.key == "escape" and ended):
            event.stop()
            event.prevent_default()
            self.post_message(ConversationView.TypedHere(event.character or "" if typed else ""))

    def on_message_view_retry_clicked(self, event: MessageView.RetryClicked) -> None:
        event.stop()  # a failed column is retried from the conversation, once a reply is chosen (Ctrl+R there)
        choose, retry = shown_key(self.app, "compare.continue", "Enter"), shown_key(self.app, "chat.retry", "Ctrl+R")
        self.notify(f"A compared reply is not retried here: continue with one ({choose}), then {retry} asks again.")

    @on(ContinueWanted)
    def _continue_wanted(self, event: ContinueWanted) -> None:
        event.stop()  # the conversation under the columns would go on unseen: a cut reply is continued there
        choose, go_on = (
            shown_key(self.app, "compare.continue", "Enter"),
            shown_key(self.app, "message.continue", "Ctrl+K"),
        )
        self.notify(
            f"A compared reply is not continued here: continue with it ({choose}), then {go_on} goes on with it."
        )

    def on_mount(self) -> None:
        self._select(0)
        self._stack_if_narrow()

    def on_resize(self, event: Resize) -> None:
        self._stack_if_narrow()

    def _stack_if_narrow(self) -> None:
        stacked = self.app.size.width < STACK_BELOW
        self.set_class(stacked, "-stacked")
        rows = self.query_one("#compare-columns").size.height if self.is_mounted else 0
        # Decided on the columns' area (not yet sized at mount: stacked until the first resize says otherwise).
        self.set_class(stacked and 0 < rows < MIN_STACKED_ROWS * len(self.columns), "-tabbed")

    @property
    def lives(self) -> list[LiveReply]:
        return [column.live for column in self.columns]

    def _select(self, index: int) -> None:
        self.selected = max(0, min(index, len(self.columns) - 1))
        for number, column in enumerate(self.columns):
            column.set_class(number == self.selected, "-selected")
        if self.is_mounted:
            self.query_one(CompareTabs).refresh()

    def action_select(self, step: int) -> None:
        self._select(self.selected + step)

    def action_select_number(self, number: int) -> None:
        if number <= len(self.columns):
            self._select(number - 1)

    def action_stop_selected(self) -> None:
        self._column_key(self.selected, True)

    def action_continue_selected(self) -> None:
        self._column_key(self.selected, False)

    def flush(self) -> None:
        """Show what every column's reply received since the last flush (one tick, one layout for all)."""
        if not self.is_attached:
            return  # closed meanwhile
        for column in self.columns:
            column.flush()

    def show_figures(self, figures: Sequence[ReplyFigures], chosen: int | None) -> None:
        for index, (column, shown) in enumerate(zip(self.columns, figures, strict=True)):
            column.header.show(shown, chosen=index == chosen)
        if self.has_class("-tabbed"):
            self.query_one(CompareTabs).refresh()  # the tabs name each reply's state
