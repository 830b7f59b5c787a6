"""`toki ask --attach FILE`: files sent as content parts, stored with the question; bad files refused, exit 2,
nothing sent."""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.fakes.server import FakeServer, stream_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def test_attached_files_are_sent_as_parts_and_stored(
    fake_server: FakeServer, toki_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.script(stream_text("a cat"), stream_text("yes"))
    (tmp_path / "cat.jpg").write_bytes(PNG)  # a PNG whatever its name says
    (tmp_path / "notes.txt").write_text("remember milk\n", encoding="utf-8")
    args = ["ask", "--attach", str(tmp_path / "cat.jpg"), "--attach", str(tmp_path / "notes.txt"), "What", "is", "it?"]
    result = run_toki(args, toki_env)
    assert result.returncode == 0, result.stderr
    image_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    expected = [
        {"type": "text", "text": "What is it?"},
        {"type": "image_url", "image_url": {"url": image_url}},
        {"type": "text", "text": "File: notes.txt\n```\nremember milk\n\n```"},
    ]
    assert fake_server.chat_requests()[0].json()["messages"] == [{"role": "user", "content": expected}]
    # The next turn sends the same parts again as context.
    assert run_toki(["ask", "-c", "sure?"], toki_env).returncode == 0
    again = fake_server.chat_requests()[1].json()["messages"]
    assert again[0] == {"role": "user", "content": expected}
    assert again[1:] == [{"role": "assistant", "content": "a cat"}, {"role": "user", "content": "sure?"}]
    with sqlite3.connect(Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3") as db:
        (content, attachments), *_ = db.execute("SELECT content, attachments FROM messages ORDER BY id").fetchall()
    assert content == "What is it?"
    assert '"name":"cat.jpg"' in attachments and '"name":"notes.txt"' in attachments


def test_dash_attaches_stdin_as_one_file(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("an image"))
    result = subprocess.run(
        [sys.executable, "-m", "toki_tui", "ask", "--no-save", "--attach", "-", "describe"],
        env=toki_env,
        input=PNG,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    content = fake_server.chat_requests()[0].json()["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "describe"}
    assert content[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda folder: folder / "missing.txt", "no such file"),
        (lambda folder: folder, "is a folder"),
        (lambda folder: _write(folder / "x.bin", b"\x00\xff\x00"), "neither a PNG, JPEG, WebP or GIF image"),
        (lambda folder: _write(folder / "big.txt", b"a" * (1024 * 1024 + 1)), "over toki's limit of 1,048,576 bytes"),
    ],
)
def test_a_bad_attachment_is_refused_before_any_request(
    fake_server: FakeServer,
    toki_env: dict[str, str],
    tmp_path: Path,
    make,
    complaint: str,  # type: ignore[no-untyped-def]
) -> None:
    result = run_toki(["ask", "--attach", str(make(tmp_path)), "hi"], toki_env)
    assert result.returncode == 2
    assert complaint in result.stderr and "cannot attach" in result.stderr
    assert fake_server.requests == []
    assert not (Path(toki_env["TOKI_DATA_DIR"]) / "history.sqlite3").exists()


def test_stdin_attached_twice_is_refused(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    result = run_toki(["ask", "--attach", "-", "--attach", "-", "hi"], toki_env, stdin="x")
    assert result.returncode == 2 and "only once" in result.stderr
    assert fake_server.requests == []


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
