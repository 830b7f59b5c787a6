"""The footer of key hints: Textual's Footer, rebuilt only when what it shows changes, and without the leak it has
in a long session.

Footer builds its key widgets again on every bindings signal: a focus change, a mounted focusable widget, most
of which change nothing it shows. A rebuild mounts and styles about ten widgets; right after the first frame, as
the sidebars mounted their fields, rebuilds held the UI thread long enough to delay a typed key noticeably
(docs/performance.md). KeyFooter compares what it would show with what it shows and skips a rebuild that would
change nothing.

Footer builds its key widgets again whenever the bindings change (here: twice a turn, as the Esc hint comes and
goes). Each key is bound to the footer's `compact` reactive with `data_bind`, which
registers a watcher on the footer; Textual drops watchers of removed widgets only when `compact` changes, which
it never does here. So every removed key, with its styles and caches, stayed reachable: about 15 widgets a turn,
measured by tests/benchmarks/bench_tui_start.py (200 turns). After each rebuild this forgets the watchers of
keys that are gone (textual_internals.forget_watchers_of_removed).

Footer clips the keys that do not fit at the right edge (before the command palette's key), so a narrow terminal
showed half a key ("^" of "^q Quit"). KeyFooter hides every key that would be cut, after each layout of its keys
and each resize: the footer shows whole keys only.
"""

from __future__ import annotations

from textual.events import Resize
from textual.widgets import Footer

from toki_tui.ui.textual_internals import footer_bindings_ready, forget_watchers_of_removed

KEY = "FooterKey"
"""The footer's key widgets, selected by their type's name: the class is not exported by textual.widgets."""


class KeyFooter(Footer):
    _shown: tuple[object, ...] | None = None

    def _what_it_shows(self) -> tuple[object, ...] | None:
        """Everything Footer.compose reads: the style options and every active binding (the command palette's
        key is one of them, though not marked `show`)."""
        if not footer_bindings_ready(self) or not self.is_attached:
            return None
        bindings = tuple(
            (binding.key, binding.action, binding.description, binding.show, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
        return (self.compact, self.show_command_palette, bindings)

    async def recompose(self) -> None:
        shown = self._what_it_shows()
        if shown is not None and shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
        forget_watchers_of_removed(self)
        self.call_after_refresh(self._hide_cut_keys)

    def on_resize(self, event: Resize) -> None:
        for key in self.query(KEY):
            key.display = True
        self.call_after_refresh(self._hide_cut_keys)

    def _hide_cut_keys(self) -> None:
        """Hide the first key that does not fit whole left of the palette's key (or the footer's edge), and every
        key after it (the keys come most important first)."""
        keys = [key for key in self.query(KEY) if not key.has_class("-command-palette")]
        palette = [key.region for key in self.query(KEY) if key.has_class("-command-palette")]
        edge = palette[0].x if palette and palette[0].area else self.content_region.right
        cut = False
        for key in keys:
            cut = cut or key.region.right > edge
            if cut and key.display:
                key.display = False
