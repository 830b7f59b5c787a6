"""File paths for Tab in the prompt (`/export md PATH`): the folder is listed here, on a thread, because the prompt
widget does no I/O; it asks with `PromptInput.PathCompletionWanted`, and the chat screen runs `complete_path` in a
worker, which answers with `PromptInput.offer_paths`."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from toki_tui.core.text import displayable_line

if TYPE_CHECKING:
    from toki_tui.ui.widgets.prompt_input import PromptInput

MAX_FOLDER_ENTRIES = 5000
"""Folder entries read for one completion: a huge folder (a mail spool, a build output) is cut there, so Tab answers
in milliseconds; typing more of the name narrows it."""


def list_paths(word: str) -> list[str]:
    """Paths that `word` (a path typed so far, `~` allowed) could become: the entries of its folder whose names
    start with its last part, folders ending in "/", sorted; hidden ones only when the part starts with ".".
    A name that would not show as itself (control characters) is left out. An unreadable folder has none."""
    from toki_tui.ui.prompt_completion import MAX_CANDIDATES  # with the command table: not at start-up

    name_part = word.rpartition("/")[2]
    folder_text = word[: len(word) - len(name_part)]
    folder = os.path.expanduser(folder_text) if folder_text else "."
    found: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_FOLDER_ENTRIES:
                    break
                name = entry.name
                if not name.startswith(name_part) or (name.startswith(".") and not name_part.startswith(".")):
                    continue
                if displayable_line(name) != name:
                    continue
                try:
                    is_folder = entry.is_dir()
                except OSError:
                    is_folder = False
                found.append(name + "/" if is_folder else name)
    except OSError:
        return []
    found.sort()
    return [folder_text + name for name in found[:MAX_CANDIDATES]]


async def complete_path(prompt: PromptInput, word: str) -> None:
    """List what `word` could become, on a thread, and offer it to `prompt`."""
    names = await asyncio.to_thread(list_paths, word)
    prompt.offer_paths(word, names)
