"""Keys as people write them, for what toki shows: the help, the palette, and hints that name a key ("Esc stops",
"click or F3"), which name the key the user's `[keymap]` put in place of the default. Only Textual's key table is
imported here, so any widget can use it (the binding catalog, key_catalog.py, imports every screen)."""

from __future__ import annotations

from collections.abc import Mapping

from textual.keys import key_to_character


def key_display(keys: str) -> str:
    """Keys as people write them: "ctrl+n,f2" is "Ctrl+N / F2", and "left_square_bracket" is "["."""
    shown: list[str] = []
    for key in keys.split(","):
        *modifiers, name = key.strip().split("+")
        character = name if len(name) == 1 else key_to_character(name)
        if character is not None and not character.isprintable():
            character = None  # escape, tab, enter: their names, not their control characters
        label = (character.upper() if modifiers else character) if character else name.capitalize()
        if name in ("pageup", "pagedown"):
            label = {"pageup": "PgUp", "pagedown": "PgDn"}[name]
        shown.append("+".join([*(modifier.capitalize() for modifier in modifiers), label]))
    return " / ".join(shown)


def key_name(binding_id: str, keymap: Mapping[str, str], default: str) -> str:
    """The key a hint names for `binding_id` ("Esc stops", "click or F3"): `default` (its default key as people
    write it), or the first key the `[keymap]` put in its place."""
    keys = keymap.get(binding_id)
    return key_display(keys.split(",")[0]) if keys else default


def shown_key(app: object, binding_id: str, default: str) -> str:
    """`key_name` with the keymap `app` applied (TokiApp.applied_keymap; none in a bare app, as in tests)."""
    keymap: Mapping[str, str] = getattr(app, "applied_keymap", {})
    return key_name(binding_id, keymap, default)
