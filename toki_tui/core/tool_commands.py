"""Running the local command bound to a tool (`[tool_commands]` in the config), once the user has confirmed it.

The command is an argv list; the call's arguments (the JSON text the model sent) are appended as one more
argument, as data: no shell ever sees them, so nothing in them can start another command.
"""

from __future__ import annotations

import subprocess

TOOL_COMMAND_TIMEOUT = 30.0
"""Seconds a tool command may run. Tools answer in seconds; the user waits on the result, so a hung command is
stopped and its result says so."""
TOOL_OUTPUT_MAX_CHARS = 100_000
"""The most of a command's output sent as the result: the result goes into every later request."""


def tool_command_line(command: tuple[str, ...], arguments: str) -> list[str]:
    """The exact argv run for a call: the bound command, then the call's arguments as one argument."""
    return [*command, arguments]


def run_tool_command(argv: list[str], timeout: float = TOOL_COMMAND_TIMEOUT) -> str:
    """Run `argv` (no shell, no stdin) and give the text to send as the tool's result: its output, or what went
    wrong (it could not start, it timed out, it failed: exit status and error output)."""
    try:
        # argv comes from the user's config and was confirmed by the user; no shell.
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"The command did not finish within {timeout:g} s and was stopped."
    except OSError as error:
        return f"The command could not run: {error.strerror or error}"
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        errors = done.stderr.decode("utf-8", "replace").strip()
        output = f"The command failed (exit status {done.returncode}).\n{errors}\n{output}".strip()
    if len(output) > TOOL_OUTPUT_MAX_CHARS:
        output = output[:TOOL_OUTPUT_MAX_CHARS] + f"\n[output cut at {TOOL_OUTPUT_MAX_CHARS} characters]"
    return output
