"""Copying text to the system clipboard: OSC 52 through the terminal, and the platform's tool where there is one.

OSC 52 (Textual's `App.copy_to_clipboard`) works over SSH and in tmux, but many terminals ignore it or ask
first, and toki cannot know whether it worked. So the platform's own tool is run too when it is there (pbcopy on
macOS, wl-copy under Wayland, xclip or xsel under X11, clip.exe under WSL), with the text on its standard input,
never through a shell, and with a timeout. The notification says which path was taken, and never claims a copy
that did not happen.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toki_tui.core.text import displayable

if TYPE_CHECKING:
    from textual.app import App

CLIPBOARD_TOOL_TIMEOUT = 3.0
"""Seconds a clipboard tool may take. They answer in milliseconds; xclip without a reachable X server can hang,
and the copy must not wait for it."""


@dataclass(frozen=True, slots=True)
class ClipboardTool:
    name: str
    command: tuple[str, ...]


def _is_wsl() -> bool:
    try:
        with open("/proc/version", encoding="utf-8", errors="replace") as file:
            return "microsoft" in file.read().lower()
    except OSError:
        return False


def clipboard_tools(
    env: Mapping[str, str],
    which: Callable[[str], str | None] = shutil.which,
    platform: str = sys.platform,
    wsl: Callable[[], bool] | None = None,
) -> list[ClipboardTool]:
    """The platform tools to try, best first, among those installed (found on PATH as absolute paths)."""
    wsl = _is_wsl if wsl is None else wsl
    candidates: list[tuple[str, tuple[str, ...]]] = []
    if platform == "darwin":
        candidates.append(("pbcopy", ()))
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(("wl-copy", ()))
    if env.get("DISPLAY"):
        candidates += [("xclip", ("-selection", "clipboard")), ("xsel", ("--clipboard", "--input"))]
    if platform.startswith("linux") and wsl():
        candidates.append(("clip.exe", ()))
    tools = []
    for name, arguments in candidates:
        path = which(name)
        if path is not None:
            tools.append(ClipboardTool(name, (path, *arguments)))
    return tools


def run_tool(tool: ClipboardTool, text: str, timeout: float = CLIPBOARD_TOOL_TIMEOUT) -> str | None:
    """Give `text` to `tool` on its standard input; None if it worked, else why not (for the notification).
    Blocking: run it in a thread."""
    try:
        done = subprocess.run(
            tool.command,
            input=text.encode("utf-8"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{tool.name} did not answer within {timeout:g} s"
    except OSError as error:
        return f"{tool.name} could not run: {error.strerror or error}"
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"{tool.name} failed ({reason[0] if reason else f'exit status {done.returncode}'})"
    return None


def copy_with_tools(text: str, tools: list[ClipboardTool]) -> tuple[str | None, list[str]]:
    """Try the tools in order until one works: (the tool that worked or None, the failures before it)."""
    failures: list[str] = []
    for tool in tools:
        problem = run_tool(tool, text)
        if problem is None:
            return tool.name, failures
        failures.append(problem)
    return None, failures


async def copy_text(app: App[object], text: str, what: str) -> tuple[str, bool]:
    """Copy `text` by OSC 52 and by the platform's tool (in a thread). Returns what to tell the user about `what`
    ("the reply", "code block 2 of 3"), and whether a tool confirmed the copy.

    The text copied is the text shown (`displayable`): a reply stores what the server sent, and escapes in the
    clipboard would act where it is pasted (ESC [201~ ends a shell's bracketed paste, and a CR then runs
    whatever follows)."""
    text = displayable(text)
    app.copy_to_clipboard(text)
    tools = clipboard_tools(os.environ)
    used, failures = await asyncio.to_thread(copy_with_tools, text, tools) if tools else (None, [])
    size = f"{len(text):,} characters"
    if used is not None:
        return f"Copied {what} ({size}) to the clipboard with {used} (and sent it to the terminal by OSC 52).", True
    note = f" ({'; '.join(failures)})" if failures else ""
    told = f"{what[0].upper()}{what[1:]} ({size}) sent to the terminal (OSC 52); your terminal must allow clipboard"
    return f"{told} writes{note}.", False
