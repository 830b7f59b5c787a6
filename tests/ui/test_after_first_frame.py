"""ChildrenAfterFirstFrame when the app quits while the children are being mounted (Ctrl+Q right after start-up):
the sidebar must not fill fields that Textual never mounted."""

from __future__ import annotations

import asyncio
import time

from textual.app import App, ComposeResult
from textual.widgets import Static

from toki_tui.core.api.params import ChatParams
from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar


class QuitsWhenComposed(Static):
    """Quits the app as Textual composes it: after the sidebar asked for its children to be mounted, before the
    ones after it are composed (a task each, run in order), so their own children (the switches in their rows)
    are never mounted."""

    def compose(self) -> ComposeResult:
        self.app.exit()
        return iter(())


class SidebarQuitWhileBuilding(ParameterSidebar):
    def children_after_first_frame(self) -> ComposeResult:
        yield QuitsWhenComposed()
        yield from super().children_after_first_frame()


class SidebarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield SidebarQuitWhileBuilding()

    def on_mount(self) -> None:
        # As the chat screen does at start-up: settings kept until the fields exist, then filled.
        self.query_one(ParameterSidebar).show_settings(model="m", params=ChatParams(), system_prompt="s")


async def test_quitting_while_the_fields_mount_leaves_them_unfilled() -> None:
    app = SidebarApp()
    async with app.run_test():  # re-raises what the app raised (a field not found while filling them)
        sidebar = app.query_one(ParameterSidebar)
        deadline = time.monotonic() + 5
        while app.is_running and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert not app.is_running
    assert not sidebar.built
