"""`toki`'s command line: the TUI's quick parse (top-level options only) answers exactly as the whole parser."""

from __future__ import annotations

import argparse

import pytest

from toki_tui.cli import build_parser, parse_arguments

ARGUMENT_LISTS = [
    [],
    ["--model", "gpt-x"],
    ["-m", "gpt-x", "--resume", "last"],
    ["--resume=abc", "--base-url", "http://127.0.0.1:1/v1"],
    ["--endpoint", "work", "--mod", "abbreviated"],
    ["ask", "hello", "there"],
    ["--model", "m", "ask", "--temperature", "0.2", "question"],
    ["history", "list"],
    ["config", "path"],
]


def outcome(parse: object, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    assert callable(parse)
    try:
        result: object = vars(parse(argv))
    except SystemExit as error:
        result = f"exit {error.code}"
    captured = capsys.readouterr()
    return result, captured.out, captured.err


@pytest.mark.parametrize("argv", ARGUMENT_LISTS)
def test_the_quick_parse_gives_the_whole_parsers_namespace(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    quick = outcome(parse_arguments, argv, capsys)
    whole = outcome(build_parser().parse_args, argv, capsys)
    assert quick == whole
    assert isinstance(quick[0], dict)


@pytest.mark.parametrize(
    "argv", [["--model"], ["--bogus"], ["bogus"], ["-h"], ["--help"], ["--he"], ["--h"], ["-hm", "x"], ["--version"]]
)
def test_mistakes_help_and_version_answer_as_the_whole_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    quick = outcome(parse_arguments, argv, capsys)
    whole = outcome(build_parser().parse_args, argv, capsys)
    assert quick == whole
    assert str(quick[0]).startswith("exit")
    if argv[0].startswith(("-h", "--h")):  # argparse takes any prefix of --help
        assert "COMMAND" in quick[1] and "ask" in quick[1]  # the help lists the commands
    if argv == ["bogus"]:
        assert "invalid choice: 'bogus'" in quick[2]  # not the top level's "unrecognized arguments"


def test_the_tui_alone_does_not_build_the_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[bool] = []
    original = argparse.ArgumentParser.add_subparsers

    def add_subparsers(self: argparse.ArgumentParser, **kwargs: object) -> object:
        built.append(True)
        return original(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(argparse.ArgumentParser, "add_subparsers", add_subparsers)
    assert parse_arguments(["--resume", "last"]).resume == "last"
    assert built == []
    assert parse_arguments(["ask", "hi"]).command == "ask"
    assert built  # the whole parser, commands and all


def test_plain_toki_builds_no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[bool] = []
    original = argparse.ArgumentParser.__init__

    def init(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        built.append(True)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", init)
    assert vars(parse_arguments([])) == {"resume": None, "command": None}
    assert built == []


def test_the_command_names_are_the_parsers() -> None:
    from toki_tui.cli import COMMANDS

    parser = build_parser()
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    assert tuple(commands.choices) == COMMANDS


def test_a_command_builds_only_the_whole_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """`toki ask` (whose start-up is measured against `import httpx`) does not build the top level first."""
    built: list[bool] = []
    original = argparse.ArgumentParser.__init__

    def init(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        built.append(bool(kwargs.get("add_help", True)))
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", init)
    assert parse_arguments(["ask", "hi"]).command == "ask"
    assert all(built)  # no top-level-only parser (the only one built without help)
