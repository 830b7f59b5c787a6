"""Themes: built-in TOML files shipped as the package `toki_tui.themes`, plus the user's own from the config folder.

A theme file is a flat TOML table of Textual theme fields (`name`, `dark`, `primary`, `background`, ...) and an
optional `[variables]` table. Every colour is checked on its own so that one notification can list every problem
in every bad file; a bad file is skipped and the app keeps a built-in theme.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from toki_tui.core.text import displayable_line

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

BUILTIN_THEME_PACKAGE = "toki_tui.themes"
DEFAULT_THEME_NAME = "toki-dark"

COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_OTHER_FIELDS = ("name", "dark", "luminosity_spread", "text_alpha", "variables")

# A theme's name is an identifier: it is shown in Textual's theme picker (which parses its entries as markup, so
# `[/]` in a name crashed Ctrl+T), saved in the config and used in a CSS class name. Letters, digits, `-`, `_`
# and `.`, starting with a letter or digit, is what every built-in and Textual theme uses.
THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ThemeFileError(ValueError):
    """A theme file cannot be used; `problems` lists every reason, one line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(slots=True)
class ThemeCatalog:
    """The themes that loaded, and one line per file that did not."""

    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [theme.name for theme in self.themes]

    def problem_report(self) -> str | None:
        """All problems as one notification text, or None when every file loaded."""
        if not self.problems:
            return None
        return "Some themes could not be loaded and were skipped:\n" + "\n".join(self.problems)


def _is_colour(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        Color.parse(value)
    except ColorParseError:
        return False
    return True


def theme_from_mapping(data: dict[str, Any], source: str) -> Theme:
    """Build a Theme from a parsed TOML table, or raise ThemeFileError listing every bad field."""
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("'name' must be a non-empty string")
    elif THEME_NAME.fullmatch(name.strip()) is None:
        problems.append(
            f"name = {displayable_line(repr(name), 80)} must be 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    for key in data:
        if key not in COLOUR_FIELDS and key not in _OTHER_FIELDS:
            problems.append(f"unknown key {key!r}")
    if "primary" not in data:
        problems.append("'primary' is required")
    colours: dict[str, str] = {}
    for key in COLOUR_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if _is_colour(value):
            colours[key] = value
        else:
            problems.append(f"{key} = {value!r} is not a colour (use #rrggbb, rgb(...), hsl(...) or a name)")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        problems.append(f"dark = {dark!r} must be true or false")
    numbers: dict[str, float] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            value = data[key]
            if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
                numbers[key] = float(value)
            else:
                problems.append(f"{key} = {value!r} must be a number from 0 to 1")
    variables: dict[str, str] = {}
    raw_variables = data.get("variables", {})
    if not isinstance(raw_variables, dict):
        problems.append("[variables] must be a table")
    else:
        for key, value in raw_variables.items():
            # Variables may hold non-colour values (e.g. "bold"); only ones that look like colours are checked.
            if not isinstance(value, str):
                problems.append(f"variables.{key} = {value!r} must be a string")
            elif value.startswith(("#", "rgb", "hsl")) and not _is_colour(value):
                problems.append(f"variables.{key} = {value!r} is not a colour")
            else:
                variables[key] = value
    if problems:
        raise ThemeFileError(source, problems)
    assert isinstance(name, str)
    return Theme(name=name.strip(), dark=bool(dark), variables=variables, **colours, **numbers)  # type: ignore[arg-type]


def check_variables(theme: Theme, source: str) -> Theme:
    """`theme`, or ThemeFileError when a variable Textual's own styles use holds a value they cannot take (user
    themes only: ~10 ms a theme, and the built-ins are checked by the tests)."""
    problems = _variable_problems(theme)
    if problems:
        raise ThemeFileError(source, problems)
    return theme


def _variable_problems(theme: Theme) -> list[str]:
    """Each variable Textual's own styles use, tried in a one-rule stylesheet of the kind of property it feeds:
    a value Textual cannot parse there ("banana" for a colour) would otherwise fail the whole stylesheet when the
    theme is applied, and end the app. Variables Textual does not know are used nowhere, so are left alone."""
    from textual.css.stylesheet import Stylesheet, StylesheetParseError

    known = theme.to_color_system().generate()
    everything = {**known, **theme.variables}
    problems: list[str] = []
    for key, value in theme.variables.items():
        if key not in known:
            continue
        css_property = "text-style" if key.endswith("style") else "background" if key == "link-background" else "color"
        sheet = Stylesheet(variables=everything)
        sheet.add_source(f"Screen {{ {css_property}: ${key}; }}")
        try:
            sheet.parse()
        except StylesheetParseError:
            problems.append(f"variables.{key} = {value!r} is not valid for {css_property}")
    return problems


def parse_theme_text(text: str, source: str) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(source, [f"not valid TOML ({error})"]) from None
    return theme_from_mapping(data, source)


def _builtin_theme_folder() -> Traversable:
    """Where the shipped themes are: the package's folder on disk, found through the import system (never the
    repo path), so an editable install works too. importlib.resources is the fallback for a zipped install only:
    it imports zipfile, a few milliseconds of cold start for nothing on a normal install."""
    package = importlib.import_module(BUILTIN_THEME_PACKAGE)
    for location in getattr(package, "__path__", []):
        if Path(location).is_dir():
            return Path(location)
    from importlib import resources

    return resources.files(BUILTIN_THEME_PACKAGE)


def load_builtin_themes() -> list[Theme]:
    """The themes shipped in the wheel."""
    themes: list[Theme] = []
    folder = _builtin_theme_folder()
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            # A broken built-in is a packaging bug: let it raise loudly in tests rather than hide it.
            themes.append(parse_theme_text(entry.read_text(encoding="utf-8"), f"built-in {entry.name}"))
    return themes


def load_user_themes(folder: Path) -> ThemeCatalog:
    """Every `*.toml` in the user's theme folder; a missing folder is simply no themes."""
    catalog = ThemeCatalog()
    if not folder.is_dir():
        return catalog
    for path in sorted(folder.glob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
            catalog.themes.append(check_variables(parse_theme_text(text, str(path)), str(path)))
        except ThemeFileError as error:
            catalog.problems.append(f"{error.source}: " + "; ".join(error.problems))
        except (OSError, UnicodeDecodeError) as error:
            catalog.problems.append(f"{path}: cannot be read ({error})")
    return catalog


def load_all_themes(user_folder: Path | None) -> ThemeCatalog:
    """Built-ins first, then user themes (a user theme may not replace a built-in of the same name)."""
    catalog = ThemeCatalog(themes=load_builtin_themes())
    if user_folder is None:
        return catalog
    user = load_user_themes(user_folder)
    catalog.problems.extend(user.problems)
    builtin_names = set(catalog.names)
    for theme in user.themes:
        if theme.name in builtin_names:
            catalog.problems.append(f"user theme {theme.name!r} has the name of a built-in theme and was skipped")
        else:
            catalog.themes.append(theme)
    return catalog


def choose_theme(requested: str | None, available: Iterable[str]) -> tuple[str, str | None]:
    """The theme to use and, if the requested one is unknown, a line saying so."""
    names = set(available)
    if requested is None or requested in names:
        return (requested or DEFAULT_THEME_NAME), None
    return DEFAULT_THEME_NAME, f"Theme {requested!r} is not available; using {DEFAULT_THEME_NAME}."
