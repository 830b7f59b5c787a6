"""A config folder that is a file (a stray `~/.config/toki` file): every command says so in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from toki_tui.cli import main


@pytest.mark.parametrize("command", [["config", "init"], ["config", "show"], ["ask", "hi"], ["models"]])
def test_each_command_says_the_config_folder_is_a_file(
    command: list[str], toki_env: dict[str, str], tmp_path: Path
) -> None:
    stray = tmp_path / "not-a-folder"
    stray.write_text("")
    result = run_toki(command, {**toki_env, "TOKI_CONFIG_DIR": str(stray)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == (
        f"toki: the config folder {stray} is a file, not a folder; move it aside, or set TOKI_CONFIG_DIR to "
        "another folder\n"
    )


def test_history_still_works_without_a_config(
    isolated_dirs: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = tmp_path / "not-a-folder"
    stray.write_text("")
    monkeypatch.setenv("TOKI_CONFIG_DIR", str(stray))
    assert main(["history", "list"]) == 0
    assert capsys.readouterr().err == ""
