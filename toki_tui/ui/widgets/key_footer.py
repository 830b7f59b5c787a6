"""The footer of key hints: Textual's Footer, without the leak it has in a long session.

Footer builds its key widgets again whenever the bindings change (here: twice a turn, as the Esc hint comes and
goes, and on every focus change). Each key is bound to the footer's `compact` reactive with `data_bind`, which
registers a watcher on the footer; Textual drops watchers of removed widgets only when `compact` changes, which
it never does here. So every removed key, with its styles and caches, stayed reachable: about 15 widgets a turn,
measured by tests/benchmarks/bench_tui_start.py (200 turns). After each rebuild this forgets the watchers of
keys that are gone, by the rule Textual itself applies when the value changes (the watcher's widget is closing).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class KeyFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self._forget_removed_watchers()

    def _forget_removed_watchers(self) -> None:
        # Textual keeps reactive watchers in this private dict (textual/reactive.py, `_watch`); if a future
        # version stores them elsewhere, there is nothing to prune and nothing breaks.
        watchers: Any = getattr(self, "__watchers", None)
        if not isinstance(watchers, dict):
            return
        for entries in watchers.values():
            if isinstance(entries, list):
                entries[:] = [
                    entry for entry in entries if not getattr(entry[0], "_closing", False) and entry[0].is_attached
                ]
