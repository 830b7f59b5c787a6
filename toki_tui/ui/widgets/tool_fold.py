"""A tool message's text, folded to its first lines when long: a tool's result can be 100,000 characters (an MCP
result's limit), which shown whole would bury the conversation and cost its layout every time it opens. Folded,
only its head is rendered; a fold line under it says how much is hidden and unfolds it on a click (or F3 with the
message focused). What is stored and sent is the whole text: this is only what the pane shows."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from toki_tui.ui.line_render import Line, PlainTextLines, RenderContext, render_lines

FOLD_LINES = 6
"""The lines of a folded tool message shown (its first ones)."""
FOLD_CHARS = 600
"""The most characters shown folded: a result of one huge line (minified JSON) is cut there too."""
FOLD_ACTION = "toggle_fold"
"""The MessageView action a click on the fold line runs."""


def fold_head(text: str) -> str | None:
    """The head of `text` shown while it is folded, or None when `text` is short enough to show whole."""
    head = "\n".join(text.split("\n", FOLD_LINES)[:FOLD_LINES])[:FOLD_CHARS]
    return None if len(head) >= len(text) else head


def fold_line(expanded: bool, text: str, head: str, fold_style: Style, meta_style: Style, fold_key: str = "F3") -> Text:
    """▸ (the hidden part's size) under a folded text, ▾ under an unfolded one; either toggles on a click, or with
    `fold_key` (the key bound to `message.fold`, which a `[keymap]` may have moved)."""
    click = Style.from_meta({"@click": FOLD_ACTION})
    if expanded:
        tail = f" to the first lines (click or {fold_key})"
        return Text.assemble(("▾ Fold", fold_style + click), (tail, meta_style + click))
    lines = text.count("\n") - head.count("\n")
    hidden = f"{len(text) - len(head):,} more characters" + (f", {lines:,} more lines" if lines else "")
    return Text.assemble(("▸ Show all", fold_style + click), (f" ({hidden}; click or {fold_key})", meta_style + click))


class FoldableText:
    """Plain text shown whole, or (`foldable` and long) folded to `fold_head` until `toggle`d."""

    def __init__(self, *, foldable: bool) -> None:
        self._foldable = foldable
        self._whole = PlainTextLines()
        self._text = ""
        self._head: str | None = None
        self._head_lines = PlainTextLines()
        self.expanded = False

    @property
    def folds(self) -> bool:
        """Long enough to fold (only then is there a fold line)."""
        return self._head is not None

    def feed(self, text: str) -> None:
        self._whole.feed(text)
        if self._foldable:
            self._text += text
            self._head = fold_head(self._text)
            self._head_lines = PlainTextLines()
            self._head_lines.feed(self._head or "")

    def toggle(self) -> None:
        self.expanded = not self.expanded

    def lines(self, ctx: RenderContext, fold_style: Style, meta_style: Style, fold_key: str = "F3") -> list[Line]:
        """The lines shown: the whole text, or its head; and the fold line when it folds."""
        if self._head is None:
            return self._whole.lines(ctx)
        body = self._whole.lines(ctx) if self.expanded else self._head_lines.lines(ctx)
        fold = fold_line(self.expanded, self._text, self._head, fold_style, meta_style, fold_key)
        return [*body, *render_lines(fold, ctx)]
