"""The compare picker: the model picker's list and fuzzy filter, choosing 2-4 models for the next prompt.

Space (or a click) marks or unmarks the highlighted model, numbered in the order marked (the order of the
columns); Enter compares once 2-4 are marked (before that it marks the highlighted one); Esc closes. A filter that
matches nothing can be marked as a model id, as in the model picker. Ids come from the server: shown as plain
text (model_picker.highlighted_id), never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.compare import MAX_COMPARED, MIN_COMPARED
from toki_tui.core.text import displayable_line
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.screens.model_picker import ListPickerScreen, highlighted_id, highlighted_option_id, model_details
from toki_tui.ui.screens.model_ranking import ModelIndex


class ModelFilter(Input):
    """The filter field, which leaves Space to the picker (it marks a model; model ids hold no spaces)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key != "space" and super().check_consume_key(key, character)


class ComparePickerScreen(ListPickerScreen[tuple[str, ...]]):
    """Returns the marked model ids in the order marked, or None when dismissed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_picker", "Close", id="compare_picker.close"),
        Binding("space", "toggle_highlighted", "Mark", priority=True, id="compare_picker.mark"),
        Binding("down", "cursor_down", "Next", show=False, id="compare_picker.next"),
        Binding("up", "cursor_up", "Previous", show=False, id="compare_picker.previous"),
    ]

    def __init__(self, models: Sequence[ModelInfo], *, marked: Sequence[str] = (), note: str = "") -> None:
        super().__init__()
        self._index = ModelIndex(models)
        self.marked: list[str] = list(marked)[:MAX_COMPARED]
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Compare models: mark 2 to 4", id="picker-title")
            yield ModelFilter(placeholder="Type to filter… Space marks, Enter compares, Esc closes", id="picker-filter")
            yield OptionList(id="picker-options")
            yield Static("", id="compare-marked")
            yield Static(plain_content(self._note), id="picker-note")

    def on_mount(self) -> None:
        self._refresh_options()
        self._show_marked()

    def update_models(self, models: Sequence[ModelInfo], note: str = "") -> None:
        """Called by the chat screen when the background load finishes while the picker is open."""
        self._index = ModelIndex(models)
        self.query_one("#picker-note", Static).update(plain_content(note))
        self._refresh_options()

    def _row(self, model_id: str, label: Content, details: str) -> Option:
        mark = f"  [{self.marked.index(model_id) + 1}]" if model_id in self.marked else ""
        return Option(Content.assemble(label, (mark, "$success"), "\n", (details, "dim")), id=model_id)

    def _refresh_options(self, *, best_first: bool = False) -> None:
        """The list for the filter's text; the highlight stays where it was (a model marked), or goes to the best
        match (`best_first`: the filter changed, so the row it was on now holds another model)."""
        query = self.query_one("#picker-filter", Input).value
        options = self.query_one("#picker-options", OptionList)
        highlighted = None if best_first else options.highlighted
        result = self._index.rank(query)
        rows = [self._row(model.id, highlighted_id(model.id, query), model_details(model)) for model in result.models]
        typed = query.strip()
        if typed and typed not in (model.id for model in result.models):
            rows.append(self._row(typed, Content(displayable_line(typed)), "  use as a model id"))
        options.clear_options()
        options.add_options(rows)  # one call: the option list lays its lines out once per call
        if rows:
            options.highlighted = min(highlighted or 0, len(rows) - 1)

    def _show_marked(self) -> None:
        if self.marked:
            shown = "  ".join(f"{number}. {displayable_line(model)}" for number, model in enumerate(self.marked, 1))
        else:
            shown = "none marked yet"
        ready = MIN_COMPARED <= len(self.marked) <= MAX_COMPARED
        hint = "Enter compares" if ready else f"mark {MIN_COMPARED} to {MAX_COMPARED}"
        self.query_one("#compare-marked", Static).update(plain_content(f"Marked: {shown} ({hint})"))

    def _toggle(self, model_id: str) -> None:
        if model_id in self.marked:
            self.marked.remove(model_id)
        elif len(self.marked) < MAX_COMPARED:
            self.marked.append(model_id)
        else:
            self.notify(f"At most {MAX_COMPARED} models: unmark one first.", severity="warning")
            return
        self._refresh_options()
        self._show_marked()

    def action_toggle_highlighted(self) -> None:
        if (model_id := highlighted_option_id(self.query_one("#picker-options", OptionList))) is not None:
            self._toggle(model_id)

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refresh_options(best_first=True)

    @on(Input.Submitted, "#picker-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if MIN_COMPARED <= len(self.marked) <= MAX_COMPARED:
            self.dismiss(tuple(self.marked))
        else:
            self.action_toggle_highlighted()

    @on(OptionList.OptionSelected, "#picker-options")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._toggle(event.option.id)
