"""Every private Textual internal toki relies on, exercised against the installed Textual.

Each test fails with a message naming the attribute when Textual removed or changed it: then re-read the function
in toki_tui/ui/textual_internals.py (or the test helper named) against the new Textual before widening the pin in
pyproject.toml. The product itself falls back to Textual's public path in that case; these tests are what notices.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Static, TextArea

from tests.ui.app_support import STYLES_CACHE_MEMO, forget_rendered_styles, wait_until
from tests.ui.terminal_frame import screen_plain_text
from toki_tui.ui import textual_internals
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.key_footer import KeyFooter
from toki_tui.ui.widgets.message_view import MessageView


def _private(owner: object, name: str) -> Any:
    value = getattr(owner, name, None)
    assert value is not None, (
        f"Textual {version('textual')} has no {getattr(owner, '__name__', type(owner).__name__)}.{name}: "
        f"re-check toki_tui/ui/textual_internals.py (written against {textual_internals.CHECKED_AGAINST})"
    )
    return value


def test_the_installed_textual_is_the_one_the_internals_were_checked_against() -> None:
    installed = version("textual")
    assert installed.split(".")[:2] == textual_internals.CHECKED_AGAINST.split(".")[:2], (
        f"Textual {installed} is installed; toki_tui/ui/textual_internals.py was checked against "
        f"{textual_internals.CHECKED_AGAINST}: re-check every function there, then update CHECKED_AGAINST and the pin"
    )


# -- the size hooks MessageView and ConversationView override -------------------------------------------------------


def test_widget_size_updated_hook_has_the_signature_the_overrides_use() -> None:
    hook = _private(Widget, textual_internals.SIZE_UPDATED_HOOK)
    parameters = list(inspect.signature(hook).parameters)
    assert parameters == ["self", "size", "virtual_size", "container_size", "layout"], (
        f"Widget._size_updated now takes {parameters}: MessageView and ConversationView override it"
    )
    for widget_class in (MessageView, ConversationView):
        assert textual_internals.SIZE_UPDATED_HOOK in vars(widget_class)


def test_widget_set_dirty_hook_takes_regions() -> None:
    hook = _private(Widget, textual_internals.SET_DIRTY_HOOK)
    kinds = [parameter.kind for parameter in inspect.signature(hook).parameters.values()]
    assert kinds == [inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.VAR_POSITIONAL], (
        "Widget._set_dirty no longer takes (*regions): MessageView overrides it"
    )
    assert textual_internals.SET_DIRTY_HOOK in vars(MessageView)


class _Probe(Widget):
    """Overrides both hooks as MessageView does, and records that Textual called them."""

    DEFAULT_CSS = "_Probe { height: 3; }"
    sizes: ClassVar[list[Size]] = []
    dirty: ClassVar[list[tuple[Region, ...]]] = []

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        self.sizes.append(size)
        return textual_internals.size_updated_without_layout(super(), size, virtual_size, container_size)

    def _set_dirty(self, *regions: Region) -> None:
        self.dirty.append(regions)
        textual_internals.set_dirty(super(), *regions)


async def test_textual_calls_the_size_hooks_and_the_size_is_applied_without_a_layout() -> None:
    _Probe.sizes.clear()
    _Probe.dirty.clear()

    class ProbeApp(App[None]):
        def compose(self) -> ComposeResult:
            yield _Probe()

    app = ProbeApp()
    async with app.run_test(size=(40, 10)) as pilot:
        probe = app.query_one(_Probe)
        await pilot.pause()
        assert _Probe.sizes, "Textual never called Widget._size_updated on a widget it laid out"
        assert probe.size == Size(40, 3) and probe.virtual_size == Size(40, 3), (
            "Widget._size_updated(layout=False) no longer stores the widget's size and virtual size"
        )
        _Probe.dirty.clear()
        probe.refresh(Region(0, 1, 40, 1))
        assert _Probe.dirty == [(Region(0, 1, 40, 1),)], "Widget.refresh no longer goes through Widget._set_dirty"


# -- following the bottom ------------------------------------------------------------------------------------------


async def test_anchor_release_flag_tells_whether_a_view_follows_its_bottom() -> None:
    class ScrollApp(App[None]):
        def compose(self) -> ComposeResult:
            with VerticalScroll():
                for index in range(30):
                    yield Static(f"line {index}")

    app = ScrollApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(VerticalScroll)
        released = _private(view, "_anchor_released")
        assert isinstance(released, bool), "Widget._anchor_released is no longer a bool"
        assert not textual_internals.is_following_anchor(view)  # not anchored
        view.anchor()
        await pilot.pause()
        assert textual_internals.is_following_anchor(view)
        view.release_anchor()
        assert view._anchor_released is True, "Widget.release_anchor no longer sets Widget._anchor_released"
        assert not textual_internals.is_following_anchor(view)
    # Without the flag, the public approximation: anchored and at the end.
    for at_end in (True, False):
        stand_in = SimpleNamespace(is_anchored=True, is_vertical_scroll_end=at_end)
        assert textual_internals.is_following_anchor(stand_in) is at_end  # type: ignore[arg-type]


# -- the footer ----------------------------------------------------------------------------------------------------


class _FooterApp(App[None]):
    BINDINGS: ClassVar[list[Any]] = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield KeyFooter()


async def test_footer_bindings_ready_flag_turns_true_once_the_footer_has_the_bindings() -> None:
    app = _FooterApp()
    async with app.run_test(size=(60, 5)) as pilot:
        footer = app.query_one(Footer)
        await wait_until(pilot, lambda: textual_internals.footer_bindings_ready(footer))
        assert isinstance(_private(footer, "_bindings_ready"), bool), "Footer._bindings_ready is no longer a bool"
    assert textual_internals.footer_bindings_ready(object()) is False  # type: ignore[arg-type]


class _Watched(Widget):
    value = reactive(0)


async def test_watchers_of_removed_widgets_are_found_where_textual_keeps_them_and_dropped() -> None:
    class WatchApp(App[None]):
        def compose(self) -> ComposeResult:
            yield _Watched()
            yield Static("key", id="key")

    app = WatchApp()
    async with app.run_test(size=(40, 5)) as pilot:
        watched, key = app.query_one(_Watched), app.query_one("#key", Static)
        key.watch(watched, "value", lambda _value: None, init=False)
        watchers = getattr(watched, textual_internals.WATCHERS_ATTRIBUTE, None)
        assert isinstance(watchers, dict) and len(watchers.get("value", [])) == 1, (
            f"Textual no longer keeps watchers in the {textual_internals.WATCHERS_ATTRIBUTE!r} dict of the watched "
            "object: KeyFooter's leak fix (forget_watchers_of_removed) finds nothing to prune"
        )
        assert textual_internals.forget_watchers_of_removed(watched) == 0  # still attached: kept
        await key.remove()
        await pilot.pause()
        assert textual_internals.forget_watchers_of_removed(watched) == 1
        assert watchers["value"] == []


async def test_the_key_footer_keeps_no_watchers_of_the_keys_it_removed() -> None:
    app = _FooterApp()
    async with app.run_test(size=(60, 5)) as pilot:
        footer = app.query_one(KeyFooter)
        await wait_until(pilot, lambda: footer.query("FooterKey"))
        keys_before = list(footer.query("FooterKey"))
        footer._shown = None  # force a rebuild of the same keys, in the footer's own context (as Textual does)
        footer.call_later(footer.recompose)
        await wait_until(pilot, lambda: not any(key.is_attached for key in keys_before))
        await pilot.pause()
        entries = [entry for entries in getattr(footer, "__watchers").values() for entry in entries]
        assert entries and all(node.is_attached for node, _callback in entries)
        assert not any(node in keys_before for node, _callback in entries)


# -- the theme at start-up -----------------------------------------------------------------------------------------


class _ThemedApp(App[None]):
    CSS = "Static { background: $primary; color: $foreground; }"

    def __init__(self, theme_name: str, *, quietly: bool) -> None:
        super().__init__()
        if quietly:
            textual_internals.set_theme_before_start(self, theme_name)
        else:
            self.theme = theme_name

    def compose(self) -> ComposeResult:
        yield Static("themed")


@pytest.mark.parametrize("theme_name", ["nord", "textual-light"])
async def test_setting_the_theme_before_start_shows_what_the_public_setter_shows(theme_name: str) -> None:
    assert callable(_private(App, textual_internals.THEME_WATCHER))
    shown: list[tuple[frozenset[str], object, object]] = []
    for quietly in (True, False):
        app = _ThemedApp(theme_name, quietly=quietly)
        async with app.run_test(size=(20, 3)) as pilot:
            await pilot.pause()
            static = app.query_one(Static)
            shown.append((app.classes, static.styles.background, static.styles.color))
            assert app.current_theme.name == theme_name
    assert shown[0] == shown[1], f"the start-up theme shortcut shows {shown[0]}, the public setter {shown[1]}"


async def test_without_the_theme_watcher_the_public_setter_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(App, textual_internals.THEME_WATCHER)
    app = App[None]()
    textual_internals.set_theme_before_start(app, "nord")
    assert app.theme == "nord"


# -- the tests' terminal frame, and PromptInput's key handler -----------------------------------------------------


async def test_terminal_frame_sees_the_screen() -> None:
    """tests/ui/terminal_frame.py rebuilds what a terminal would receive from `Screen._compositor`."""

    class TextApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("visible words")

    app = TextApp()
    async with app.run_test(size=(30, 3)) as pilot:
        await pilot.pause()
        compositor = _private(app.screen, "_compositor")
        assert callable(getattr(compositor, "render_strips", None)), "Screen._compositor has no render_strips()"
        assert "visible words" in screen_plain_text(app)


async def test_the_styles_memo_the_suite_empties_fills_as_textual_draws() -> None:
    """tests/ui/app_support.py's forget_rendered_styles empties `StylesCache.get_inner_outer`'s lru_cache after
    each test: the memo Textual fills while drawing, keyed on each widget's StylesCache."""
    from textual._styles_cache import StylesCache

    memo = _private(StylesCache, STYLES_CACHE_MEMO)
    assert callable(getattr(memo, "cache_info", None)), "StylesCache.get_inner_outer is no longer an lru_cache"

    class TextApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("visible words")

    forget_rendered_styles()
    async with TextApp().run_test(size=(30, 3)) as pilot:
        await pilot.pause()
        assert memo.cache_info().currsize > 0
    forget_rendered_styles()
    assert memo.cache_info().currsize == 0


def test_text_area_handles_keys_in_the_private_handler_prompt_input_extends() -> None:
    handler = _private(TextArea, "_on_key")
    assert inspect.iscoroutinefunction(handler), "TextArea._on_key (PromptInput calls it) is no longer a coroutine"
