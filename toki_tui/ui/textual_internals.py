"""Every use toki makes of Textual's private internals, each behind one named function.

Textual has no public API for these; each buys a measured cost (docs/performance.md) or fixes a leak. Each
function says why it is needed, and what it does when the private thing is gone: it falls back to Textual's
public (slower) path, so a Textual that renamed something still runs toki correctly. tests/ui/
test_textual_internals.py exercises every one against the installed Textual and fails, naming the attribute,
when one is missing or behaves differently; pyproject.toml pins Textual's minor version while this module exists.

Links point at the Textual source these were read from (tag v8.2.8).
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.geometry import Region, Size
    from textual.widgets import Footer

CHECKED_AGAINST = "8.2.8"
"""The Textual version every function here was read against and tested with."""

SIZE_UPDATED_HOOK = "_size_updated"
"""Widget's private hook, called by the compositor with a widget's new size after each layout. MessageView and
ConversationView override it (below: size_updated_without_layout).
https://github.com/Textualize/textual/blob/v8.2.8/src/textual/widget.py (Widget._size_updated)"""

SET_DIRTY_HOOK = "_set_dirty"
"""Widget's private hook that marks regions (or, with none, the whole widget) for repaint. MessageView overrides
it to keep the lines it already painted when only lines at its end changed.
https://github.com/Textualize/textual/blob/v8.2.8/src/textual/widget.py (Widget._set_dirty)"""


@cache
def _size_updated_takes_layout() -> bool:
    hook = getattr(Widget, SIZE_UPDATED_HOOK, None)
    return hook is not None and "layout" in inspect.signature(hook).parameters


def size_updated_without_layout(parent: Any, size: Size, virtual_size: Size, container_size: Size) -> bool:
    """Call Textual's `_size_updated` (on `parent`: the `super()` of an override) with `layout=False`.

    Why: with layout=True Textual stores the new virtual size through a reactive that asks for another layout of
    the whole screen right after the one that measured it: two layouts per flush of a streaming reply. The
    widgets that call this have already been placed for this size. Without the `layout` parameter (a Textual
    that changed the hook), the hook is called as Textual calls it: one extra layout, nothing wrong."""
    hook = getattr(parent, SIZE_UPDATED_HOOK)
    if _size_updated_takes_layout():
        return bool(hook(size, virtual_size, container_size, layout=False))
    return bool(hook(size, virtual_size, container_size))


def set_dirty(parent: Any, *regions: Region) -> None:
    """Call Textual's `_set_dirty` on `parent` (the `super()` of MessageView's override of it)."""
    getattr(parent, SET_DIRTY_HOOK)(*regions)


def is_following_anchor(widget: Widget) -> bool:
    """Whether an anchored scrolling widget follows its bottom: anchored (public `is_anchored`) and not released
    by the user scrolling up (private `_anchor_released`: Textual has no public getter for it; see
    https://github.com/Textualize/textual/issues/6677 on how release and re-engagement behave).

    Without the private flag, the public approximation: anchored and scrolled to the end."""
    if not widget.is_anchored:
        return False
    released = getattr(widget, "_anchor_released", None)
    if isinstance(released, bool):
        return not released
    return widget.is_vertical_scroll_end


def footer_bindings_ready(footer: Footer) -> bool:
    """Whether Footer has received the screen's bindings (private reactive `_bindings_ready`; before that its
    compose shows nothing). KeyFooter compares what it would show only once they are. Without the attribute:
    False, so KeyFooter rebuilds like Footer does (slower, correct).
    https://github.com/Textualize/textual/blob/v8.2.8/src/textual/widgets/_footer.py (Footer.compose)"""
    ready = getattr(footer, "_bindings_ready", None)
    return ready if isinstance(ready, bool) else False


WATCHERS_ATTRIBUTE = "__watchers"
"""Where Textual keeps the watchers other nodes registered on an object with `watch` / `data_bind`: a dict of
attribute name -> list of (node, callback), set with setattr (so not name-mangled).
https://github.com/Textualize/textual/blob/v8.2.8/src/textual/reactive.py (`_watch`, `_check_watchers`)"""


def forget_watchers_of_removed(obj: object) -> int:
    """Drop the watchers on `obj` registered by nodes no longer in the DOM; returns how many were dropped.

    Why: Textual drops the watchers of removed nodes only when the watched value changes
    (https://github.com/Textualize/textual/issues/6666). Footer binds each key widget to its `compact`
    reactive, which never changes here, so every key removed by a rebuild stayed reachable (a leak of ~15
    widgets a turn). Without the private dict there is nothing to prune: the leak is back, nothing breaks."""
    watchers = getattr(obj, WATCHERS_ATTRIBUTE, None)
    if not isinstance(watchers, dict):
        return 0
    dropped = 0
    for entries in watchers.values():
        if isinstance(entries, list):
            kept = [entry for entry in entries if _watcher_node_attached(entry)]
            dropped += len(entries) - len(kept)
            entries[:] = kept
    return dropped


def _watcher_node_attached(entry: object) -> bool:
    if not isinstance(entry, tuple) or not entry:
        return True  # not the shape this was written for: keep it
    return bool(getattr(entry[0], "is_attached", True))


THEME_WATCHER = "_watch_theme"
"""App's private watcher of its `theme` reactive: sets the -theme-/-dark-mode/-light-mode classes, the truecolor
filter, and queues a re-parse of every stylesheet.
https://github.com/Textualize/textual/blob/v8.2.8/src/textual/app.py (App._watch_theme)"""


def set_theme_before_start(app: App[Any], theme_name: str) -> None:
    """Start `app` (not running yet) on `theme_name` without Textual's theme watcher where that is safe.

    Why: assigning `app.theme` runs the watcher, which queues a re-parse of every stylesheet for right after
    start, before the first parse even happened (part of the cold start). Before the app runs nothing is styled:
    setting the value, the classes and the stylesheet's variables (all public calls) is all a theme change
    needs. A theme that differs from Textual's starting one in darkness or in using the terminal's own ANSI
    colours also changes how colours are mapped (the private truecolor filter only the watcher sets): that one
    goes through the public setter, as does every theme when the watcher is not the one this was written for."""
    app_class = type(app)
    if not callable(getattr(app_class, THEME_WATCHER, None)):
        app.theme = theme_name
        return
    previous, starting = app.theme, app.current_theme
    app.set_reactive(app_class.theme, theme_name)
    if (app.current_theme.dark, app.current_theme.ansi) != (starting.dark, starting.ansi):
        app.set_reactive(app_class.theme, previous)
        app.theme = theme_name
        return
    app.update_classes(
        {name: False for name in app.classes if name.startswith("-theme-")} | {f"-theme-{theme_name}": True},
        update=False,
    )
    # Textual computed the stylesheet's variables from its default theme in App.__init__; nothing is parsed
    # yet, so giving it this theme's variables is all a theme change needs now.
    app.stylesheet.set_variables(app.get_css_variables())
