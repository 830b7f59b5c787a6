"""Attached files: read and checked before anything is sent, sent as content parts, stored, exported and imported
without loss, and sent again as context on later turns."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.core.conftest import drain
from tests.fakes.server import FakeServer, stream_text
from toki_tui.core import attachments as attachments_module
from toki_tui.core.attachments import (
    MAX_IMAGE_BYTES,
    MAX_TEXT_BYTES,
    AttachmentError,
    attachment_from_bytes,
    read_attachment,
    typed_path,
)
from toki_tui.core.errors import HistoryError
from toki_tui.core.session import ChatSession
from toki_tui.core.store import schema as store_schema
from toki_tui.core.store.export import export_document, import_data
from toki_tui.core.store.history_store import HistoryStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 10
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8


@pytest.mark.parametrize(
    ("data", "media_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")]
)
def test_images_are_recognised_by_their_bytes_not_their_name(tmp_path: Path, data: bytes, media_type: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    attachment = read_attachment(path)
    assert (attachment.name, attachment.kind, attachment.size, attachment.media_type) == (
        "notes.txt",
        "image",
        len(data),
        media_type,
    )
    assert attachment.to_part() == {
        "type": "image_url",
        "image_url": {"url": f"data:{media_type};base64,{base64.b64encode(data).decode()}"},
    }


def test_a_text_file_is_a_named_text_part(tmp_path: Path) -> None:
    path = tmp_path / "image.png"  # the name says image; the bytes say text
    path.write_text("print('hé')\n", encoding="utf-8")
    attachment = read_attachment(path)
    assert attachment.kind == "text"
    assert attachment.to_part() == {"type": "text", "text": "File: image.png\n```\nprint('hé')\n\n```"}


def test_a_markdown_file_with_code_blocks_stays_inside_its_fence(tmp_path: Path) -> None:
    """A README's own ``` (or ````) blocks would close a ``` fence early and spill the rest of the file out of it."""
    path = tmp_path / "README.md"
    text = "# Use\n```sh\nmake\n```\nThen ````` nested ````` and `inline`.\n"
    path.write_text(text, encoding="utf-8")
    part = read_attachment(path).to_part()
    assert part == {"type": "text", "text": f"File: README.md\n``````\n{text}\n``````"}


def test_a_file_name_that_is_not_utf8_can_be_sent_and_saved(tmp_path: Path) -> None:
    # A name with bytes that are not UTF-8 arrives with lone surrogates, which neither JSON for the server nor
    # SQLite can encode: toki ask crashed with a traceback.
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/\xffnotes.txt"))
    path.write_text("hi", encoding="utf-8")
    attachment = read_attachment(path)
    assert attachment.name == "\ufffdnotes.txt"
    json.dumps(attachment.to_part(), ensure_ascii=False).encode("utf-8")


def test_each_bad_file_gets_its_own_error(tmp_path: Path) -> None:
    with pytest.raises(AttachmentError, match="no such file"):
        read_attachment(tmp_path / "missing.txt")
    with pytest.raises(AttachmentError, match="is a folder"):
        read_attachment(tmp_path)
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02\xff")
    with pytest.raises(AttachmentError, match="neither a PNG, JPEG, WebP or GIF image nor UTF-8 text"):
        read_attachment(tmp_path / "blob.bin")
    (tmp_path / "nul.txt").write_bytes(b"text\x00with nul")
    with pytest.raises(AttachmentError, match="nor UTF-8 text"):
        read_attachment(tmp_path / "nul.txt")
    (tmp_path / "big.txt").write_bytes(b"a" * (MAX_TEXT_BYTES + 1))
    # Both round to "1.0 MB": the message gives bytes, so it does not read "1.0 MB, over the limit of 1.0 MB".
    with pytest.raises(AttachmentError, match=r"is 1,048,577 bytes, over toki.s limit of 1,048,576 bytes for text"):
        read_attachment(tmp_path / "big.txt")
    (tmp_path / "bigger.txt").write_bytes(b"a" * (MAX_TEXT_BYTES * 3 // 2))
    with pytest.raises(AttachmentError, match=r"is 1\.5 MB, over toki's limit of 1\.0 MB for text files"):
        read_attachment(tmp_path / "bigger.txt")


def test_an_image_over_the_limit_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as file:
        file.write(PNG)
        file.truncate(MAX_IMAGE_BYTES + 1)  # sparse: no 20 MB written
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(AttachmentError, match=r"over toki's limit of 20,971,520 bytes for images"):
        read_attachment(path)
    assert attachments_module.MAX_IMAGE_BYTES == 20 * 1024 * 1024


async def test_parts_are_sent_stored_and_sent_again_as_context(
    session: ChatSession, fake_server: FakeServer, store: HistoryStore
) -> None:
    fake_server.script(stream_text("a1"), stream_text("a2"))
    image, text = attachment_from_bytes("pic.png", PNG), attachment_from_bytes("a.py", b"x = 1")
    await drain(session.send("look", (image, text)))
    first = fake_server.chat_requests()[0].json()["messages"]
    assert first == [{"role": "user", "content": [{"type": "text", "text": "look"}, image.to_part(), text.to_part()]}]
    assert session.conversation_id is not None
    stored = store.branch(session.conversation_id)[0]
    assert stored.content == "look"
    assert stored.attachments == [image.to_record(), text.to_record()]
    await drain(session.send("and?"))
    again = fake_server.chat_requests()[1].json()["messages"]
    assert again[0] == first[0]
    assert again[1:] == [{"role": "assistant", "content": "a1"}, {"role": "user", "content": "and?"}]
    # A new session reading the branch from the store sends the same parts.
    later = ChatSession(
        client=session.client,
        store=store,
        endpoint_name="toki",
        model="m",
        params=session.params,
        conversation_id=session.conversation_id,
    )
    assert later.context_messages()[0].to_wire() == first[0]


async def test_without_a_store_attachments_stay_in_memory_context(
    session: ChatSession, fake_server: FakeServer
) -> None:
    session.store = None
    fake_server.script(stream_text("a1"), stream_text("a2"))
    text = attachment_from_bytes("a.txt", b"hello")
    await drain(session.send("", (text,)))
    await drain(session.send("q2"))
    sent = fake_server.chat_requests()[1].json()["messages"]
    assert sent[0] == {"role": "user", "content": [text.to_part()]}


def test_export_and_import_keep_attachments(store: HistoryStore, tmp_path: Path) -> None:
    conversation = store.create_conversation(endpoint="e", model="m", system_prompt=None, params={})
    records = [attachment_from_bytes("pic.gif", GIF).to_record(), attachment_from_bytes("n.md", b"# hi").to_record()]
    store.add_message(conversation.id, role="user", content="see", attachments=records)
    document = export_document(store, conversation.id)
    assert document["messages"][0]["attachments"] == records
    other = HistoryStore(tmp_path / "other.sqlite3")
    other.open()
    result = import_data(other, json.loads(json.dumps(document)))
    (imported,) = result.imported
    assert other.branch(imported.id)[0].attachments == records
    assert export_document(other, imported.id) == document


def test_an_import_with_a_damaged_attachment_is_refused(store: HistoryStore, tmp_path: Path) -> None:
    conversation = store.create_conversation(endpoint="e", model="m", system_prompt=None, params={})
    store.add_message(conversation.id, role="user", content="see")
    document = export_document(store, conversation.id)
    document["messages"][0]["attachments"] = [{"name": "x.png", "kind": "image"}]
    other = HistoryStore(tmp_path / "other.sqlite3")
    other.open()
    with pytest.raises(HistoryError, match=r"attachments\[1\] is not an attachment"):
        import_data(other, document)
    assert other.list_conversations() == []


def test_a_version_2_history_gains_the_attachments_column(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in store_schema.SCHEMA_V1 + store_schema.SCHEMA_V2:
        connection.execute(statement)
    connection.execute("INSERT INTO conversations (id, created_at, updated_at) VALUES ('c', 1, 1)")
    connection.execute("INSERT INTO messages (conversation_id, role, content, created_at) VALUES ('c', 'user', 'q', 1)")
    connection.execute("PRAGMA user_version = 2")
    connection.close()
    store = HistoryStore(path)
    report = store.open()
    assert report.migrated_from == 2
    (message,) = store.branch("c")
    assert (message.content, message.attachments) == ("q", None)


def test_a_dragged_path_loses_its_quotes_or_escapes_unless_the_file_has_them(tmp_path: Path) -> None:
    spaced = tmp_path / "my file (1).txt"
    spaced.write_text("x", encoding="utf-8")
    assert typed_path(f"'{spaced}'") == spaced
    assert typed_path(f'"{spaced}" ') == spaced
    assert typed_path(str(spaced).replace(" ", "\\ ").replace("(", "\\(").replace(")", "\\)")) == spaced
    quoted = tmp_path / "'odd'"
    quoted.write_text("x", encoding="utf-8")
    assert typed_path(str(quoted)) == quoted  # a file that really has them keeps them
