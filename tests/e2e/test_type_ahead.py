"""Keys typed while toki is still starting (a fast typist's `toki⏎hello`) are not lost: they reach the prompt
once the chat is on screen, as a shell keeps type-ahead."""

from __future__ import annotations

import time

from tests.e2e.pty_support import FIRST_FRAME, toki_on_pty
from tests.fakes.server import FakeServer

ALTERNATE_SCREEN = b"\x1b[?1049h"


def test_keys_typed_before_the_first_frame_reach_the_prompt(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    with toki_on_pty([], {**toki_env, "TERM": "xterm-256color"}) as app:
        app.type("typed ahead")  # at once: toki is still importing
        app.wait_for(FIRST_FRAME)
        deadline = time.monotonic() + 10
        # The terminal echoes the keys as they are typed, before toki takes it over: only what toki draws on its
        # own screen counts.
        while b"typed ahead" not in app.output[app.output.index(ALTERNATE_SCREEN) :]:
            assert time.monotonic() < deadline, bytes(app.output[-400:])
            app.pump(0.05)
