"""`/attach PATH` in the chat: read off the UI thread, shown as chips, sent as content parts, kept in the store, and
shown in the transcript by name, kind and size; a bad file is refused with nothing sent."""

from __future__ import annotations

import base64
from pathlib import Path

from textual.widgets import Static

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, wait_until
from toki_tui.ui.widgets.attachment_chips import AttachmentChips
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.message_view import MessageView
from toki_tui.ui.widgets.prompt_input import PromptInput

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


async def test_attached_files_go_with_the_next_message(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("a picture"), stream_text("eggs too"))
    (tmp_path / "pic.png").write_bytes(PNG)
    (tmp_path / "[red]notes\x1b[2J.txt").write_text("milk", encoding="utf-8")
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        chips = harness.screen.query_one(AttachmentChips)
        await enter_text(pilot, f"/attach {tmp_path / 'pic.png'}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chips.labels) == 1)
        await enter_text(pilot, f"/attach {tmp_path / '[red]notes'}\x1b[2J.txt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chips.labels) == 2)
        assert chips.has_class("-visible")
        shown = str(chips.render())
        assert "pic.png · image · 32 B" in shown and "[red]notes" in shown and "\x1b" not in shown
        await enter_text(pilot, "what is this?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not harness.screen.streaming and fake_server.chat_requests())
        await harness.app.workers.wait_for_complete()
        content = fake_server.chat_requests()[0].json()["messages"][-1]["content"]
        assert content == [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()}},
            {"type": "text", "text": "File: [red]notes\x1b[2J.txt\n```\nmilk\n```"},
        ]
        assert chips.labels == () and not chips.has_class("-visible")
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        question = harness.store.branch(conversation_id)[0]
        assert question.content == "what is this?"
        assert [(a["name"], a["kind"], a["size"]) for a in question.attachments or []] == [
            ("pic.png", "image", len(PNG)),
            ("[red]notes\x1b[2J.txt", "text", 4),
        ]
        shown_question = harness.screen.query_one(ConversationView).messages[0]
        assert shown_question.attachments == ("pic.png · image · 32 B", "[red]notes.txt · text · 4 B")
        view = harness.screen.query(MessageView).first()
        drawn = "".join(segment.text for line in view._all_lines(100) for segment in line)
        assert "📎 pic.png · image · 32 B" in drawn and "📎 [red]notes" in drawn and "\x1b" not in drawn

        # Edited, the question keeps its files, and a file attached meanwhile (its chip above the prompt) goes too:
        # it used to stay behind, unsent, for the next message.
        (tmp_path / "b.txt").write_text("eggs", encoding="utf-8")
        await enter_text(pilot, f"/attach {tmp_path / 'b.txt'}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chips.labels) == 1)
        await enter_text(pilot, "/edit")
        await pilot.press("enter")
        marker = harness.screen.query_one("#edit-marker", Static)
        await wait_until(pilot, lambda: "which keeps its 2 files" in str(marker.render()))
        harness.screen.query_one(PromptInput).text = "and now?"  # in place of the question's text
        await pilot.press("enter")
        await wait_until(pilot, lambda: not harness.screen.streaming and len(fake_server.chat_requests()) == 2)
        content = fake_server.chat_requests()[1].json()["messages"][-1]["content"]
        assert [part.get("text", "image")[:10] for part in content] == ["and now?", "image", "File: [red", "File: b.tx"]
        assert chips.labels == ()


async def test_a_bad_file_is_refused_and_chips_can_be_cleared(tmp_path: Path, fake_server: FakeServer) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\xff")
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        chips = harness.screen.query_one(AttachmentChips)
        await enter_text(pilot, f"/attach {tmp_path / 'blob.bin'}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Not attached" in (n.title or "") for n in harness.app._notifications))
        assert harness.screen.attachments.files == [] and chips.labels == ()
        for _ in range(2):
            await enter_text(pilot, f"/attach {tmp_path / 'a.txt'}")
            await pilot.press("enter")
        await wait_until(pilot, lambda: len(chips.labels) == 2)
        chips.action_remove(0)
        await wait_until(pilot, lambda: len(chips.labels) == 1)
        await enter_text(pilot, "/attach clear")
        await pilot.press("enter")
        await wait_until(pilot, lambda: chips.labels == ())
        assert harness.screen.attachments.files == []
        # A file dragged onto the terminal comes quoted (or with its spaces escaped): it was "no such file".
        (tmp_path / "my notes.txt").write_text("x", encoding="utf-8")
        await enter_text(pilot, f"/attach '{tmp_path / 'my notes.txt'}' ")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chips.labels) == 1)
        assert chips.labels[0].startswith("my notes.txt")
        await enter_text(pilot, "/attach clear")
        await pilot.press("enter")
        await wait_until(pilot, lambda: chips.labels == ())
        assert fake_server.chat_requests() == []
