"""ChildrenAfterFirstFrame: a container that mounts its children after the app's first frame.

The sidebars' fields and lists were a third of the time to toki's first frame (styling and painting them). A
sidebar starts with what its compose() yields (a title) and mounts the rest right after the first frame; calls
that need the rest before then are kept by the subclass and replayed in `after_children_mounted`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from textual.widget import Widget


class ChildrenAfterFirstFrame(Widget):
    """Mix in before the container class: `class Sidebar(ChildrenAfterFirstFrame, Vertical)`."""

    _built_event: asyncio.Event | None = None

    @property
    def _built(self) -> asyncio.Event:
        if self._built_event is None:
            self._built_event = asyncio.Event()
        return self._built_event

    @property
    def built(self) -> bool:
        """True once the children mounted after the first frame are there, until the app starts quitting (then
        Textual removes them, the deepest first, so a field may be gone while its row is still there)."""
        return self._built.is_set() and not self._app_quitting()

    def _app_quitting(self) -> bool:
        """From `App.exit()` on (Textual mounts nothing more), or once the app stopped running."""
        return not self.is_attached or not self.app.is_running

    async def wait_until_built(self) -> None:
        """Return once the children are mounted (never, if the app quits first)."""
        await self._built.wait()

    def children_after_first_frame(self) -> Iterable[Widget]:
        """The children to mount after the first frame."""
        raise NotImplementedError

    def after_children_mounted(self) -> None:
        """Called once they are mounted: apply what was asked for before."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._build)

    async def _build(self) -> None:
        if self._app_quitting():
            return
        children = list(self.children_after_first_frame())
        await self.mount_all(children)
        # The app may have started quitting meanwhile (Ctrl+Q at once): Textual then mounts nothing more, so the
        # children of a row composed after that (a switch in its row) were never mounted. Nothing to fill.
        if self._app_quitting() or any(child.parent is not self for child in children):
            return
        self._built.set()
        self.after_children_mounted()
