"""SIGCONT reaches Textual's handler only while the terminal lives: a hang-up sends SIGCONT with SIGHUP, and
Textual would start its output again on the dead terminal, after which toki's exit waited forever."""

from __future__ import annotations

import os
import pty
import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from toki_tui.ui.resume_guard import guard_resume_signal


@pytest.fixture
def resumes() -> Iterator[list[int]]:
    """A stand-in for the handler Textual's driver installs; the real one is put back afterwards."""
    seen: list[int] = []

    def textual_resume(number: int, frame: FrameType | None) -> None:
        seen.append(number)

    previous = signal.signal(signal.SIGCONT, textual_resume)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGCONT, previous)


def test_sigcont_resumes_only_while_the_terminal_lives(resumes: list[int]) -> None:
    master, slave = pty.openpty()
    try:
        assert guard_resume_signal(slave) is not None
        signal.raise_signal(signal.SIGCONT)  # a resume after a suspension: Textual's handler runs
        assert resumes == [signal.SIGCONT]
        os.close(master)  # the terminal hangs up
        master = -1
        signal.raise_signal(signal.SIGCONT)
        assert resumes == [signal.SIGCONT]
    finally:
        os.close(slave)
        if master >= 0:
            os.close(master)
