"""The model picker: a modal with a fuzzy filter over the endpoint's models, their context length and price.

It opens at once with whatever is known (the cache and the config's models) and refreshes in place when the
chat screen's background load finishes. A filter that matches nothing can still be chosen as a model id, for
servers whose /models list is incomplete. Ranking lives in model_ranking.py; only the best MAX_SHOWN rows are
built, with the match highlighted by offsets over the plain id (an id is never read as markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.text import displayable_line
from toki_tui.ui.safe_text import plain_content
from toki_tui.ui.screens.model_ranking import ModelIndex, match_spans


def format_context(tokens: int | None) -> str:
    if tokens is None:
        return "ctx unknown"
    if tokens >= 1_000_000 and tokens % 1_000_000 == 0:
        return f"{tokens // 1_000_000}M ctx"
    if tokens >= 1000:
        return f"{tokens / 1000:.0f}k ctx"
    return f"{tokens} ctx"


def format_price(model: ModelInfo) -> str:
    """USD per million tokens, prompt / completion; "unknown" when the server did not say (or said -1)."""
    prompt, completion = model.prompt_price_per_million, model.completion_price_per_million
    if prompt is None and completion is None:
        return "price unknown"

    def one(value: float | None) -> str:
        if value is None:
            return "unknown"
        if value == 0:
            return "free"
        return f"${value:.2f}" if value >= 0.01 else f"${value:.4f}"

    return f"{one(prompt)} in / {one(completion)} out per 1M"


def model_details(model: ModelInfo) -> str:
    """A picker row's second line: the context length and the price."""
    return f"  {format_context(model.context_length)} · {format_price(model)}"


def highlighted_option_id(options: OptionList) -> str | None:
    """The id of the option under the cursor, unless there is none or it cannot be chosen (a note)."""
    if options.highlighted is None:
        return None
    option = options.get_option_at_index(options.highlighted)
    return option.id if not option.disabled else None


def highlighted_id(model_id: str, query: str) -> Content:
    """The id as plain text on one line (it comes from the server), with the characters `query` matched in bold."""
    shown = displayable_line(model_id)
    content = Content(shown)
    if shown != model_id:
        return content  # offsets computed on the raw id would not fit the sanitized one
    for start, end in match_spans(model_id, query.strip().lower()):
        content = content.stylize("bold $accent", start, end)
    return content


def rank_models(models: Sequence[ModelInfo], query: str) -> list[tuple[ModelInfo, Content]]:
    """Models matching `query` fuzzily, best first (at most MAX_SHOWN), each with its id highlighted."""
    ranked = ModelIndex(models).rank(query)
    return [(model, highlighted_id(model.id, query)) for model in ranked.models]


PickedT = TypeVar("PickedT")


class ListPickerScreen(ModalScreen[PickedT | None]):
    """What the model picker and the compare picker share: a filter field over `#picker-options`, where Up and
    Down move in the list while the filter keeps the focus, and Esc closes with None. Each keeps its own bindings
    (their ids are the keymap's)."""

    def action_cursor_down(self) -> None:
        self.query_one("#picker-options", OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#picker-options", OptionList).action_cursor_up()

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)


class ModelPickerScreen(ListPickerScreen[str]):
    """Returns the chosen model id, or None when dismissed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_picker", "Close", id="picker.close"),
        Binding("down", "cursor_down", "Next", show=False, id="picker.next"),
        Binding("up", "cursor_up", "Previous", show=False, id="picker.previous"),
    ]

    def __init__(self, models: Sequence[ModelInfo], *, current_model: str | None, note: str = "") -> None:
        super().__init__()
        self._index = ModelIndex(models)
        self._current_model = current_model
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Choose a model", id="picker-title")
            yield Input(placeholder="Type to filter (fuzzy)… Enter picks, Esc closes", id="picker-filter")
            yield OptionList(id="picker-options")
            yield Static(plain_content(self._note), id="picker-note")

    def on_mount(self) -> None:
        self._refresh_options()

    def update_models(self, models: Sequence[ModelInfo], note: str = "") -> None:
        """Called by the chat screen when the background load finishes while the picker is open."""
        self._index = ModelIndex(models)
        self._note = note
        self.query_one("#picker-note", Static).update(plain_content(note))
        self._refresh_options()

    @property
    def shown_model_ids(self) -> list[str]:
        options = self.query_one("#picker-options", OptionList)
        shown = (options.get_option_at_index(i) for i in range(options.option_count))
        return [option.id for option in shown if option.id is not None]

    def _refresh_options(self) -> None:
        query = self.query_one("#picker-filter", Input).value
        options = self.query_one("#picker-options", OptionList)
        result = self._index.rank(query, current=self._current_model)
        ranked = result.models
        options.clear_options()
        rows = [
            Option(
                Content.assemble(
                    highlighted_id(model.id, query),
                    ("  ✓" if model.id == self._current_model else "", "$success"),
                    "\n",
                    (model_details(model), "dim"),
                ),
                id=model.id,
            )
            for model in ranked
        ]
        if result.more > 0:
            more = f"{result.more:,} more — keep typing to narrow the list"
            rows.append(Option(Content.styled(more, "dim"), disabled=True))
        options.add_options(rows)  # one call: the option list lays its lines out once per call
        if ranked:
            index = next((i for i, model in enumerate(ranked) if model.id == self._current_model), 0)
            options.highlighted = 0 if query.strip() else index
        elif query.strip():
            options.add_option(
                Option(
                    Content.assemble(("Use ", "dim"), displayable_line(query.strip()), (" as the model id", "dim")),
                    id=query.strip(),
                )
            )
            options.highlighted = 0
        else:
            options.add_option(Option(Content("No models known yet."), disabled=True))

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refresh_options()

    @on(Input.Submitted, "#picker-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if (model_id := highlighted_option_id(self.query_one("#picker-options", OptionList))) is not None:
            self.dismiss(model_id)

    @on(OptionList.OptionSelected, "#picker-options")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(event.option.id)
