"""Files attached in the chat (`/attach PATH`): read on a thread (the widgets do no I/O), kept until the next
message is sent, shown as chips above the prompt, removable one by one or all at once (`/attach clear`)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual import on, work
from textual.screen import Screen

from toki_tui.core.attachments import Attachment, AttachmentError, attachment_label, read_attachment
from toki_tui.ui.widgets.attachment_chips import AttachmentChips


class AttachmentActions(Screen[None]):
    """The chat screen's attachments: `pending_attachments` go with the next message sent."""

    def __init__(self) -> None:
        super().__init__()
        self.pending_attachments: list[Attachment] = []

    def attach_file(self, path: str) -> None:
        """Read `path` in a worker; it joins the pending files, or a notification says why it cannot."""
        self._read_attachment(path)

    @work(group="attach", exit_on_error=False)
    async def _read_attachment(self, path: str) -> None:
        try:
            attachment = await asyncio.to_thread(read_attachment, Path(os.path.expanduser(path)))
        except AttachmentError as error:
            self.notify(str(error), title="Not attached", severity="error")
            return
        self.pending_attachments.append(attachment)
        self._show_attachments()
        self.notify(f"Attached {attachment_label(attachment)} (goes with the next message).")

    def action_pick_file(self) -> None:
        """Ctrl+L: choose a file to attach from a tree of the current folder."""
        from toki_tui.ui.screens.file_picker import FilePickerScreen

        self.app.push_screen(FilePickerScreen(Path.cwd()), self._file_picked)

    def _file_picked(self, path: Path | None) -> None:
        if path is not None:
            self.attach_file(str(path))

    def clear_attachments(self) -> None:
        self.pending_attachments.clear()
        self._show_attachments()

    def take_attachments(self) -> tuple[Attachment, ...]:
        """The pending files, for the message being sent; none are pending afterwards."""
        taken = tuple(self.pending_attachments)
        self.clear_attachments()
        return taken

    @on(AttachmentChips.Removed)
    def _chip_removed(self, message: AttachmentChips.Removed) -> None:
        if 0 <= message.index < len(self.pending_attachments):
            del self.pending_attachments[message.index]
            self._show_attachments()

    def _show_attachments(self) -> None:
        labels = tuple(attachment_label(attachment) for attachment in self.pending_attachments)
        self.query_one(AttachmentChips).show(labels)
