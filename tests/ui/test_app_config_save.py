"""The app's saves edit the user's config file in place: a theme change keeps its comments and a value the
user edited by hand while the app was running."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.server import FakeServer
from tests.ui.app_support import make_app
from toki_tui.core.config.config_file import load_config

USER_FILE = """\
# mine, with a comment
default_model = "x/first"  # my model

[parameters]
temperature = 0.5  # tuned by hand
"""


async def test_a_theme_change_keeps_the_file_and_edits_made_while_running(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    config_file = tmp_path / "config" / "config.toml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text(USER_FILE)
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(100, 30)) as pilot:
        edited = USER_FILE.replace("x/first", "x/edited-while-running")
        config_file.write_text(edited)
        harness.app.theme = "toki-light"
        await pilot.pause()
    text = config_file.read_text()
    assert text == edited.replace("# my model\n", '# my model\ntheme = "toki-light"\n')
    saved = load_config(config_file)
    assert (saved.default_model, saved.theme) == ("x/edited-while-running", "toki-light")
    # The fake server's address the test gave the app's config is not written into the user's file.
    assert fake_server.base_url not in text
