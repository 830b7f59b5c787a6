"""Every key binding of toki by its id: what it does, its default key, and the keymap that remaps it.

The ids are the `[keymap]` table's keys in the config file. `check_keymap` sorts a keymap into what can be applied
and one line per entry that cannot: an unknown id, a key that cannot be parsed, or a key the prompt (a TextArea)
takes for itself while it has focus, remapped onto a screen or app action, which would then only work when the
prompt is not focused. toki refuses the last kind at start-up rather than stealing an editing key from the prompt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import Keys, key_to_character

from toki_tui.ui.key_names import key_display as key_display
from toki_tui.ui.key_names import key_name as key_name

MODIFIERS = frozenset({"ctrl", "alt", "shift", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(key.value for key in Keys) | {"space", "tab", "enter", "escape", "backspace", "delete"}

WHAT: dict[str, str] = {
    "app.quit": "quit toki (works from anywhere)",
    "app.theme": "change the theme (the choice is saved)",
    "chat.stop": "stop the reply (the partial text is kept, marked stopped), or stop waiting for an MCP tool",
    "chat.model": "pick a model",
    "chat.history": "show or hide the history list (typing searches it)",
    "chat.params": "show or hide the parameter sidebar",
    "chat.new": "start a new conversation",
    "chat.retry": "retry the last reply",
    "chat.attach": "pick a file to attach to the next message",
    "picker_file.close": "close the file picker",
    "chat.help": "show keys and commands",
    "chat.thinking": "fold or unfold the newest reply's thinking",
    "chat.details": "how the reply was made: model, parameters, usage, timing",
    "chat.copy": "copy the reply (Markdown)",
    "chat.copy_code": "copy the reply's last code block",
    "prompt.send": "send the prompt",
    "prompt.messages": "from the prompt, focus the newest message",
    "prompt.page_up": "scroll the conversation up a page",
    "prompt.page_down": "scroll the conversation down a page",
    "prompt.oldest": "go to the oldest loaded message (again: load older)",
    "prompt.latest": "go to the newest message",
    "message.previous_sibling": "on a message: its previous sibling, with the branch under it",
    "message.next_sibling": "on a message: its next sibling, with the branch under it",
    "message.previous": "on a message: focus the message above",
    "message.next": "on a message: focus the message below",
    "message.regenerate": "on a reply: regenerate it (the old one stays as a sibling)",
    "message.edit": "on a question: edit it in the prompt; sending asks it anew",
    "message.continue": "on a reply: continue it after a stop or a cut",
    "message.fold": "on a message: fold or unfold its long tool output or its thinking",
    "help.close": "close the help",
    "details.close": "close the reply details",
    "confirm.yes": "in a question dialog: yes",
    "confirm.no": "in a question dialog: no",
    "mcp_call.run": "in an MCP call's confirmation: run it (Enter too)",
    "mcp_call.always": "in an MCP call's confirmation: run it, and this tool's later calls without asking",
    "mcp_call.decline": "in an MCP call's confirmation: decline it",
    "mcp.close": "close the MCP servers list",
    "mcp_tools.keep": "in the MCP tools list: keep the choice",
    "mcp_tools.cancel": "in the MCP tools list: close it unchanged",
    "picker.close": "close the model picker",
    "picker.next": "in the model picker: next model",
    "picker.previous": "in the model picker: previous model",
    "compare_picker.close": "close the compare picker",
    "compare_picker.mark": "in the compare picker: mark or unmark the highlighted model",
    "compare_picker.next": "in the compare picker: next model",
    "compare_picker.previous": "in the compare picker: previous model",
    "compare.left": "on the compare columns: select the column to the left",
    "compare.right": "on the compare columns: select the column to the right",
    "compare.first": "on the compare columns: select column 1",
    "compare.second": "on the compare columns: select column 2",
    "compare.third": "on the compare columns: select column 3",
    "compare.fourth": "on the compare columns: select column 4",
    "compare.stop_one": "on the compare columns: stop the selected column's reply (the others go on)",
    "compare.continue": "on the compare columns: continue the conversation with the selected reply",
    "api_key.later": "close the API key dialog without a key",
}
"""What each binding does, by id: `toki config keys`, F1 help and the command palette read it."""


@dataclass(frozen=True, slots=True)
class KeyRow:
    binding_id: str
    keys: str
    """The keys in effect (the keymap's, else the default), comma-separated, as Textual spells them."""
    default: str
    what: str
    where: str
    """"app", "screen", "prompt", "message", "compare" (the compare columns) or "dialog": where focus must be for
    the key to work."""
    priority: bool


def _owners() -> list[tuple[str, type[object]]]:
    """Every class with toki bindings; imported here, when asked, since they import all of the UI."""
    from toki_tui.ui.app import TokiApp
    from toki_tui.ui.screens.api_key_dialog import ApiKeyDialog
    from toki_tui.ui.screens.chat import ChatScreen
    from toki_tui.ui.screens.compare_picker import ComparePickerScreen
    from toki_tui.ui.screens.confirm_dialog import ConfirmDialog
    from toki_tui.ui.screens.help import HelpScreen
    from toki_tui.ui.screens.mcp_dialogs import McpCallDialog, McpServersScreen, McpToolsScreen
    from toki_tui.ui.screens.model_picker import ModelPickerScreen
    from toki_tui.ui.screens.reply_details import ReplyDetailsScreen
    from toki_tui.ui.widgets.compare_view import CompareView
    from toki_tui.ui.widgets.message_view import MessageView
    from toki_tui.ui.widgets.prompt_input import PromptInput

    return [
        ("app", TokiApp),
        ("screen", ChatScreen),
        ("prompt", PromptInput),
        ("message", MessageView),
        ("compare", CompareView),
        ("dialog", HelpScreen),
        ("dialog", ReplyDetailsScreen),
        ("dialog", ConfirmDialog),
        ("dialog", McpCallDialog),
        ("dialog", McpServersScreen),
        ("dialog", McpToolsScreen),
        ("dialog", ModelPickerScreen),
        ("dialog", ComparePickerScreen),
        ("dialog", ApiKeyDialog),
    ]


def toki_bindings() -> Iterator[tuple[str, Binding]]:
    """(where, binding) for every binding toki declares, in the order of `_owners`."""
    for where, owner in _owners():
        for binding in vars(owner).get("BINDINGS", []):
            if isinstance(binding, Binding):
                yield where, binding


def key_rows(keymap: Mapping[str, str]) -> list[KeyRow]:
    rows: list[KeyRow] = []
    for where, binding in toki_bindings():
        binding_id = binding.id or ""
        keys = keymap.get(binding_id, binding.key)
        what = WHAT.get(binding_id, binding.description)
        rows.append(KeyRow(binding_id, keys, binding.key, what, where, binding.priority))
    return rows


def key_problem(keys: str) -> str | None:
    """Why `keys` (Textual's comma-separated key list) cannot be a binding, or None when it can."""
    for key in (part.strip() for part in keys.split(",")):
        *modifiers, name = key.split("+")
        if not name or any(modifier not in MODIFIERS for modifier in modifiers):
            return f"{key!r} is not a key (write keys such as ctrl+n, f6, alt+left)"
        if len(name) != 1 and name not in _NAMED_KEYS and key_to_character(name) is None:
            return f"{key!r} is not a key name Textual knows (such as f6, home, pageup, left_square_bracket)"
    return None


def prompt_keys() -> frozenset[str]:
    """Keys the prompt acts on itself while it has focus (its TextArea bindings), which a screen or app binding
    without priority never sees from there."""
    from toki_tui.ui.widgets.prompt_input import PromptInput

    return frozenset(PromptInput._merge_bindings().key_to_bindings) | {"tab", "space"}


def _typed_by_prompt(key: str, taken: frozenset[str]) -> bool:
    *modifiers, name = key.split("+")
    character = name if len(name) == 1 else key_to_character(name)
    printable = character is not None and character.isprintable()
    return key in taken or (printable and not set(modifiers) - {"shift"})


def check_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The entries of `keymap` that can be applied, and one line for each that cannot (the default stays)."""
    where_of = {binding.id: (where, binding) for where, binding in toki_bindings() if binding.id}
    taken = prompt_keys()
    good: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        found = where_of.get(binding_id)
        if found is None:
            problems.append(f"{binding_id}: no binding has this id (toki config keys lists them)")
            continue
        if (problem := key_problem(keys)) is not None:
            problems.append(f"{binding_id} = {keys!r}: {problem}")
            continue
        where, binding = found
        normal = [part.strip() for part in keys.split(",")]
        swallowed = [key for key in normal if _typed_by_prompt(key, taken)]
        if where in ("app", "screen") and not binding.priority and swallowed:
            problems.append(
                f"{binding_id} = {keys!r}: the prompt uses {', '.join(swallowed)} itself while you type, so "
                f"{WHAT.get(binding_id, binding.description)!r} would not work from there; choose another key"
            )
            continue
        good[binding_id] = ",".join(normal)
    return good, problems


def keys_for(binding_id: str, keymap: Mapping[str, str]) -> str:
    """The keys in effect for `binding_id` ("" for an id toki does not have)."""
    if binding_id in keymap:
        return keymap[binding_id]
    return next((binding.key for _where, binding in toki_bindings() if binding.id == binding_id), "")
