"""Tab in the prompt completes command names, model ids, fixed choices and file paths, cycles through several
candidates (named on the hint line), and never moves the focus out of the prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tests.fakes.server import FakeServer, models_reply
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from toki_tui.ui.prompt_completion import candidates, completion_spot, rank
from toki_tui.ui.screens.path_completion import list_paths
from toki_tui.ui.widgets.prompt_input import PromptInput

MODEL_IDS = ["openai/gpt-4o", "echo-large", "echo", "deepseek/ecco-chat"]


def _prompt(harness: AppHarness) -> PromptInput:
    return harness.screen.query_one(PromptInput)


def _hint(harness: AppHarness) -> str:
    return str(harness.screen.query_one("#prompt-hint", Static).render())


async def _tab(pilot: Pilot[Any], harness: AppHarness, expected: str) -> None:
    await pilot.press("tab")
    await wait_until(pilot, lambda: _prompt(harness).text == expected)
    assert harness.app.focused is _prompt(harness), "Tab moved the focus out of the prompt"


async def _with_models(pilot: Pilot[Any], harness: AppHarness) -> None:
    await harness.ready(pilot)
    await wait_until(pilot, lambda: {model.id for model in harness.screen.models} == set(MODEL_IDS))


async def test_tab_completes_a_command_then_cycles_through_model_ids(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script_models(models_reply("openai", MODEL_IDS))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 30)) as pilot:
        await _with_models(pilot, harness)
        await enter_text(pilot, "/mo")
        await _tab(pilot, harness, "/model ")
        await enter_text(pilot, "ec")
        await wait_until(pilot, lambda: "echo-large" in _hint(harness))  # the candidates show while typing
        # Prefix matches first (shortest first), then the id that only contains "ec".
        await _tab(pilot, harness, "/model echo")
        await wait_until(pilot, lambda: "›echo‹" in _hint(harness) and "deepseek/ecco-chat" in _hint(harness))
        await _tab(pilot, harness, "/model echo-large")
        await _tab(pilot, harness, "/model deepseek/ecco-chat")
        await _tab(pilot, harness, "/model echo")  # round again
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.session.model == "echo")


async def test_tab_with_nothing_to_complete_keeps_the_focus(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script_models(models_reply("openai", MODEL_IDS))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 30)) as pilot:
        await _with_models(pilot, harness)
        await enter_text(pilot, "/model zzz")
        await _tab(pilot, harness, "/model zzz")
        await wait_until(pilot, lambda: "No completion" in _hint(harness))
        _prompt(harness).text = "plain words"
        await _tab(pilot, harness, "plain words")
        _prompt(harness).text = ""
        await _tab(pilot, harness, "")


async def test_tab_completes_fixed_choices(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 30)) as pilot:
        await harness.ready(pilot)
        await enter_text(pilot, "/json o")
        await _tab(pilot, harness, "/json on")  # on and off: the first, Tab again for the other
        await _tab(pilot, harness, "/json off")
        _prompt(harness).text = "/export j"
        await _tab(pilot, harness, "/export json ")
        _prompt(harness).text = "/role d"
        await _tab(pilot, harness, "/role developer ")


async def test_tab_completes_a_file_path_from_the_folder(tmp_path: Path, fake_server: FakeServer) -> None:
    folder = tmp_path / "exports dir"
    folder.mkdir()
    (folder / "notes-one.md").write_text("x")
    (folder / "notes-two.md").write_text("x")
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 30)) as pilot:
        await harness.ready(pilot)
        await enter_text(pilot, f"/export md {tmp_path}/expo")
        await _tab(pilot, harness, f"/export md {folder}/")
        await enter_text(pilot, "n")
        await _tab(pilot, harness, f"/export md {folder}/notes-")  # what both names share
        await _tab(pilot, harness, f"/export md {folder}/notes-one.md")
        await _tab(pilot, harness, f"/export md {folder}/notes-two.md")


def test_spots_and_ranking() -> None:
    spot = completion_spot("/export md my file")
    assert spot is not None and (spot.kind, spot.word) == ("path", "my file")
    assert completion_spot("/temperature 0") is None
    assert completion_spot("hello") is None
    for command in ("/attach ", "/tools "):  # their whole argument is a path, spaces and all
        spot = completion_spot(command + "notes/my pic")
        assert spot is not None and (spot.kind, spot.word, spot.start) == ("path", "notes/my pic", len(command))
    assert rank("EC", ["xec", "ecb", "ec", "zz"]) == ["ec", "ecb", "xec"]
    assert rank("x", ["x\x1b[2J", "x"]) == ["x"], "an id with a terminal escape is never put in the prompt"
    spot = completion_spot("/preset te")
    assert spot is not None and (spot.kind, spot.word, spot.start) == ("preset", "te", len("/preset "))
    assert candidates(spot, ["terse-model"], ["coder", "terse", "byte"]) == ["terse", "byte"]


def test_list_paths_hides_dot_files_and_survives_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "shown").write_text("x")
    assert list_paths(f"{tmp_path}/") == [f"{tmp_path}/shown"]
    assert list_paths(f"{tmp_path}/.h") == [f"{tmp_path}/.hidden"]
    assert list_paths(f"{tmp_path}/missing/x") == []
