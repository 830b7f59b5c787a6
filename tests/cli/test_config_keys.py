"""`toki config keys`: every binding id with its key in effect and what it does, as a table or JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki


def write_keymap(env: dict[str, str], text: str) -> None:
    (Path(env["TOKI_CONFIG_DIR"]) / "config.toml").write_text(text, encoding="utf-8")


def test_config_keys_lists_every_binding(toki_env: dict[str, str]) -> None:
    result = run_toki(["config", "keys"], toki_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "keys", "where", "what", "it", "does"]
    new = next(line for line in lines if line.startswith("chat.new "))
    assert "Ctrl+N" in new and "new conversation" in new
    stop = next(line for line in lines if line.startswith("chat.stop "))
    assert "Escape" in stop and "\x1b" not in result.stdout


def test_config_keys_json_shows_a_remap_and_names_a_bad_entry(toki_env: dict[str, str]) -> None:
    write_keymap(toki_env, '[keymap]\n"chat.new" = "f9"\n"chat.nope" = "f6"\n"chat.model" = "ctrl+a"\n')
    result = run_toki(["config", "keys", "--json"], toki_env)
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["chat.new"]["keys"] == "f9" and rows["chat.new"]["default"] == "ctrl+n"
    assert rows["chat.model"]["keys"] == "ctrl+o"
    assert "chat.nope" in result.stderr and "chat.model" in result.stderr and "ctrl+a" in result.stderr
    assert all(row["what"] for row in rows.values())


@pytest.mark.parametrize("action", ["keys", "show"])
def test_a_reader_that_went_away_is_not_an_error(toki_env: dict[str, str], action: str) -> None:
    """`toki config keys | head -1`: the pipe's reader is gone before the output is written (`show`'s few lines
    wait in the buffer until the exit); that is a success, with no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "toki_tui", "config", action],
            env=toki_env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert result.stderr == ""
