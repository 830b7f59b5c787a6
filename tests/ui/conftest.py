"""The app tests' clean-up: what a test's apps leave behind does not outlive the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.app_support import close_apps_made, forget_rendered_styles


@pytest.fixture(autouse=True)
def _apps_cleaned_up() -> Iterator[None]:
    """Every app make_app built has its history closed, and Textual forgets the lines its widgets rendered."""
    yield
    close_apps_made()
    forget_rendered_styles()
