"""What the user does with a reply once it has arrived: see how it was made, copy it or one of its code blocks,
and export the whole conversation. The chat screen's keys call it:

F4 shows the details, F5 copies the reply as Markdown, F8 its last code block (F6 and F7 select text in the
prompt). Each acts on the reply last clicked while the conversation pane has the focus, otherwise on the newest
reply. Store reads run on the store thread, and clipboard tools and file writes in threads, from workers: the
screen never waits for either.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.content import Content

from toki_tui.core.code_blocks import code_blocks
from toki_tui.core.errors import TokiError
from toki_tui.core.text import displayable_line
from toki_tui.ui.json_view import shown_content
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.screen import Screen

    from toki_tui.core.session import ChatSession
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.display import DisplayMessage


class ReplyActions:
    """`screen` is the node the workers run on (groups "details", "copy", "export") and whose conversation holds
    the replies."""

    def __init__(self, screen: Screen[Any], app: TokiApp, session: ChatSession) -> None:
        self._screen = screen
        self._app = app
        self._session = session

    def target_message(self, *, replies_only: bool = False) -> DisplayMessage | None:
        """The message last clicked while the pane has the focus, else the newest finished reply."""
        view = self._screen.query_one(ConversationView)
        chosen = view.chosen_message
        if chosen is not None and (chosen.role == "assistant" or not replies_only):
            return chosen
        return next((m for m in reversed(view.messages) if m.role == "assistant" and m.status != "streaming"), None)

    # ---- details --------------------------------------------------------------------------------------------

    def show_target_details(self) -> None:
        message = self.target_message(replies_only=True)
        if message is None:
            self._app.notify("No reply yet: the details describe a reply once it has arrived.")
            return
        self.show_reply_details(message)

    def show_reply_details(self, message: DisplayMessage) -> None:
        if message.id is None:
            self._app.notify("This reply was not saved, so how it was made is not known.", severity="warning")
            return
        message_id = message.id
        start_worker(self._screen, self._show_details, message_id, group="details", exclusive=True)

    async def _show_details(self, message_id: int) -> None:
        from toki_tui.core.reply_facts import detail_rows
        from toki_tui.ui.screens.reply_details import ReplyDetailsScreen

        store = await self._app.history()
        if store is None:
            return
        try:
            stored = await self._app.store_thread.read(lambda: store.get_message(message_id))
        except TokiError as error:
            self._app.notify(f"Could not read the reply's details: {error}", severity="error")
            return
        await self._app.push_screen(ReplyDetailsScreen(detail_rows(stored)))

    # ---- copying --------------------------------------------------------------------------------------------

    def copy_reply(self, *, code: bool, block: int | None) -> None:
        """Copy the target message as Markdown, or its code block number `block` (from 1; None: the last)."""
        message = self.target_message()
        if message is None or not message.content:
            self._app.notify("Nothing to copy yet: no reply with text.", severity="warning")
            return
        text, what = message.content, "the reply" if message.role == "assistant" else "the message"
        if code:
            # A JSON reply is shown as one code block (pretty-printed): F8 copies it as shown.
            blocks = code_blocks(message.content) or code_blocks(shown_content(message))
            if not blocks:
                self._app.notify("This reply has no code block; /copy copies the whole reply.", severity="warning")
                return
            number = len(blocks) if block is None else block
            if number > len(blocks):
                count = f"{len(blocks)} code block{'' if len(blocks) == 1 else 's'}"
                self._app.notify(f"This reply has {count}: /copy code 1 to {len(blocks)}.", severity="warning")
                return
            text, what = blocks[number - 1].code, f"code block {number} of {len(blocks)}"
        start_worker(self._screen, self._copy, text, what, group="copy")

    async def _copy(self, text: str, what: str) -> None:
        from toki_tui.ui.clipboard import copy_text

        note, copied = await copy_text(self._screen.app, text, what)
        self._app.notify(note, title="Copy", severity="information" if copied else "warning")

    # ---- export ---------------------------------------------------------------------------------------------

    def export_conversation(self, export_format: str, path: str | None) -> None:
        conversation_id = self._session.conversation_id
        if conversation_id is None:
            self._app.notify("Nothing to export yet: send a message first.", severity="warning")
            return
        start_worker(self._screen, self._export, conversation_id, export_format, path, group="export", exclusive=True)

    async def _export(self, conversation_id: str, export_format: str, path: str | None) -> None:
        from toki_tui.core.store import export
        from toki_tui.core.store.export_file import export_target

        store = await self._app.history()
        if store is None:
            return
        leaf = self._session.branch_end  # Markdown: the branch on screen; JSON: every branch, losslessly

        def read() -> tuple[str, str]:
            title = store.get_conversation(conversation_id).title
            if export_format == "json":
                return export.export_json(store, conversation_id), title
            return export.export_markdown(store, conversation_id, leaf), title

        try:
            text, title = await self._app.store_thread.read(read)
        except TokiError as error:
            self._app.notify(f"Could not export: {error}", severity="error")
            return
        target = await asyncio.to_thread(export_target, path, title, export_format, Path.cwd())
        if await asyncio.to_thread(target.exists):
            from toki_tui.ui.screens.confirm_dialog import ConfirmDialog

            question = Content.assemble(
                (displayable_line(str(target)), "bold"), " already exists.\n\nReplace it with this conversation?"
            )
            replace = await self._app.push_screen_wait(ConfirmDialog(question, yes="Replace"))
            if not replace:
                self._app.notify("Export cancelled; the file was left as it was.")
                return
            await self._write(target, text, overwrite=True)
        else:
            await self._write(target, text, overwrite=False)

    async def _write(self, target: Path, text: str, *, overwrite: bool) -> None:
        from toki_tui.core.store.export_file import ExportError, write_export

        try:
            written = await asyncio.to_thread(write_export, target, text, overwrite=overwrite)
        except ExportError as error:
            self._app.notify(f"Could not export: {error}", title="Export", severity="error", timeout=10)
            return
        self._app.notify(f"Exported to {written}", title="Export")
