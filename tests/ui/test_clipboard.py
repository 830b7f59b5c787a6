"""Copying: which platform tool is used, the text reaching it on stdin, failures reported; the /copy and
/export commands parsed."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from toki_tui.ui.clipboard import ClipboardTool, clipboard_tools, copy_with_tools, run_tool
from toki_tui.ui.slash_commands import (
    CopyReply,
    ExportConversation,
    ShowReplyDetails,
    SlashCommandError,
    completion_hint,
    parse_slash_command,
)


def fake_tool(folder: Path, name: str, body: str) -> Path:
    """An executable script standing in for a clipboard tool."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _which(available: set[str]):  # type: ignore[no-untyped-def]
    return lambda name: f"/usr/bin/{name}" if name in available else None


def test_tools_follow_the_session() -> None:
    everything = _which({"pbcopy", "wl-copy", "xclip", "xsel", "clip.exe"})
    no_wsl = lambda: False  # noqa: E731
    wayland = clipboard_tools({"WAYLAND_DISPLAY": "wayland-0"}, everything, "linux", no_wsl)
    assert [tool.name for tool in wayland] == ["wl-copy"]
    x11 = clipboard_tools({"DISPLAY": ":0"}, everything, "linux", no_wsl)
    assert [tool.command for tool in x11] == [
        ("/usr/bin/xclip", "-selection", "clipboard"),
        ("/usr/bin/xsel", "--clipboard", "--input"),
    ]
    assert [tool.name for tool in clipboard_tools({}, everything, "darwin", no_wsl)] == ["pbcopy"]
    assert [tool.name for tool in clipboard_tools({}, everything, "linux", lambda: True)] == ["clip.exe"]
    assert clipboard_tools({}, everything, "linux", no_wsl) == []  # SSH, no display: OSC 52 only
    assert clipboard_tools({"DISPLAY": ":0"}, _which(set()), "linux", no_wsl) == []  # none installed


def test_the_text_reaches_the_tool_on_stdin_untouched(tmp_path: Path) -> None:
    out = tmp_path / "clipboard.txt"
    script = fake_tool(tmp_path / "bin", "xclip", f"open({str(out)!r}, 'wb').write(sys.stdin.buffer.read())")
    text = "$(rm -rf /) `x` ; | 日本 \n\nend"
    used, failures = copy_with_tools(text, [ClipboardTool("xclip", (str(script), "-selection", "clipboard"))])
    assert (used, failures) == ("xclip", [])
    assert out.read_bytes().decode("utf-8") == text


def test_a_failing_tool_is_reported_and_the_next_one_tried(tmp_path: Path) -> None:
    bad = fake_tool(tmp_path / "bin", "xclip", "sys.stderr.write('Error: Can\\'t open display\\n'); sys.exit(1)")
    good = fake_tool(tmp_path / "bin", "xsel", "sys.stdin.read()")
    used, failures = copy_with_tools("x", [ClipboardTool("xclip", (str(bad),)), ClipboardTool("xsel", (str(good),))])
    assert used == "xsel"
    assert failures == ["xclip failed (Error: Can't open display)"]


def test_a_hanging_tool_times_out(tmp_path: Path) -> None:
    hangs = fake_tool(tmp_path / "bin", "xclip", "import time; time.sleep(30)")
    assert run_tool(ClipboardTool("xclip", (str(hangs),)), "x", timeout=0.3) == "xclip did not answer within 0.3 s"
    assert "could not run" in (run_tool(ClipboardTool("gone", (str(tmp_path / "none"),)), "x") or "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/copy", CopyReply()),
        ("/copy code", CopyReply(code=True)),
        ("/copy code 2", CopyReply(code=True, block=2)),
        ("/export md", ExportConversation("md", None)),
        ("/export JSON ~/out dir/chat.json", ExportConversation("json", "~/out dir/chat.json")),
        ("/details", ShowReplyDetails()),
    ],
)
def test_reply_commands_parse(text: str, expected: object) -> None:
    assert parse_slash_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/copy all", r"code \[N\]"),
        ("/copy code 0", "from 1"),
        ("/copy code x", "from 1"),
        ("/export", "md or json"),
        ("/export pdf", "not 'pdf'"),
    ],
)
def test_bad_reply_commands_say_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(SlashCommandError, match=message):
        parse_slash_command(text)


def test_completion_hints_for_the_new_commands() -> None:
    assert "/copy" in completion_hint("/co")
    assert completion_hint("/export ").startswith("/export md|json [PATH]")


def test_help_lists_the_reply_keys_and_commands() -> None:
    from toki_tui.ui.screens.help import help_content

    text = help_content(100).plain
    for expected in ("F4", "F5 / F8", "/copy [code [N]]", "/export md|json [PATH]", "/details"):
        assert expected in text
