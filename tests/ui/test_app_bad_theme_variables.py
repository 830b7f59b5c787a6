"""A user theme whose [variables] hold a value Textual's styles cannot take: the app starts on a built-in theme
and says so in one notification (it used to end with a stylesheet error, exit status 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.server import FakeServer
from tests.ui.app_support import make_app
from toki_tui.core.config.config_file import load_config
from toki_tui.ui.themes import DEFAULT_THEME_NAME, check_variables, load_builtin_themes


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('footer-key-foreground = "banana"', "variables.footer-key-foreground = 'banana' is not valid for color"),
        ('block-cursor-text-style = "#00ff00"', "variables.block-cursor-text-style = '#00ff00' is not valid for"),
    ],
)
async def test_a_bad_variable_gives_a_notification_and_a_built_in_theme(
    tmp_path: Path, fake_server: FakeServer, line: str, problem: str
) -> None:
    themes = tmp_path / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text(f'name = "mine"\nprimary = "#ff0000"\n\n[variables]\n{line}\n')
    (tmp_path / "config" / "config.toml").write_text('theme = "mine"\n')
    harness = make_app(tmp_path, fake_server, config=load_config(tmp_path / "config" / "config.toml"))
    async with harness.app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert harness.app.theme == DEFAULT_THEME_NAME
        [notice] = [n for n in harness.app._notifications if n.title == "Themes"]
        assert problem in str(notice.message)
        assert "Theme 'mine' is not available" in str(notice.message)
    assert harness.app.return_code in (None, 0)


def test_the_built_in_themes_pass_the_variable_check() -> None:
    for theme in load_builtin_themes():
        assert check_variables(theme, theme.name) is theme
