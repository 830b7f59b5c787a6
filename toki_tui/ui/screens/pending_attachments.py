"""Files attached in the chat (`/attach PATH`, Ctrl+L): read on a thread (the widgets do no I/O), kept until the
next message is sent, shown as chips above the prompt, removable one by one or all at once (`/attach clear`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toki_tui.core.attachments import Attachment, AttachmentError, attachment_label, read_attachment, typed_path
from toki_tui.ui.widgets.attachment_chips import AttachmentChips
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.ui.app import TokiApp


class PendingAttachments:
    """The files that go with the next message. `screen` is the node the reading worker runs on (group "attach")
    and whose chips show them."""

    def __init__(self, screen: Screen[Any], app: TokiApp) -> None:
        self._screen = screen
        self._app = app
        self.files: list[Attachment] = []

    def attach(self, path: str) -> None:
        """Read `path` in a worker; it joins the pending files, or a notification says why it cannot."""
        start_worker(self._screen, self._read, path, group="attach")

    async def _read(self, path: str) -> None:
        try:
            attachment = await asyncio.to_thread(lambda: read_attachment(typed_path(path)))
        except AttachmentError as error:
            self._app.notify(str(error), title="Not attached", severity="error")
            return
        self.files.append(attachment)
        self._show()
        self._app.notify(f"Attached {attachment_label(attachment)} (goes with the next message).")

    def pick(self) -> None:
        """Ctrl+L: choose a file to attach from a tree of the current folder."""
        from toki_tui.ui.screens.file_picker import FilePickerScreen

        self._app.push_screen(FilePickerScreen(Path.cwd()), self._picked)

    def _picked(self, path: Path | None) -> None:
        if path is not None:
            self.attach(str(path))

    def clear(self) -> None:
        self.files.clear()
        self._show()

    def take(self) -> tuple[Attachment, ...]:
        """The pending files, for the message being sent; none are pending afterwards."""
        taken = tuple(self.files)
        self.clear()
        return taken

    def remove(self, index: int) -> None:
        """A chip's ✕: the file at `index` no longer goes with the message."""
        if 0 <= index < len(self.files):
            del self.files[index]
            self._show()

    def _show(self) -> None:
        labels = tuple(attachment_label(attachment) for attachment in self.files)
        self._screen.query_one(AttachmentChips).show(labels)
