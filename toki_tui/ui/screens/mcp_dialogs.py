"""The MCP dialogs: the confirmation of a tool call, the servers' states (`/mcp`), and the tools switch (`/tools`).

Server names come from the config; tool names, descriptions, arguments and failure reasons come from the servers
and the model: every one is shown as plain content (safe_text), never parsed as markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.segment import Segment
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Key, Resize
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Button, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from toki_tui.core.mcp.manager import ServerState
from toki_tui.core.mcp.naming import McpTool
from toki_tui.core.text import displayable_line
from toki_tui.ui.key_names import shown_key
from toki_tui.ui.safe_text import exact_content, plain_content

RUN, ALWAYS, DECLINE = "run", "always", "decline"
ROWS_AROUND_ARGUMENTS = 15
"""The call dialog's rows other than the arguments' (borders, padding, title, server and tool lines, buttons):
the arguments get what is left of the dialog's 90% of the screen, so the buttons stay on a short screen."""
ARGUMENT_ROWS = (3, 16)
"""The fewest and the most rows the arguments are given (they scroll beyond)."""
ROWS_AROUND_TOOLS = 7
"""The tools switch's rows other than the list's (borders, padding, title, the keys line; one more with a tools
file's line): the list gets what is left of the dialog's 90% of the screen, so the keys line stays shown."""
TOOL_ROWS = (3, 18)
"""The fewest and the most rows the tools list is given (it scrolls beyond)."""
SERVER_KEY, TOOL_KEY = "server:", "tool:"


class McpCallDialog(ModalScreen[str]):
    """Run this call? `y`/Enter: RUN, `a`: ALWAYS (this tool, until toki exits), `n`/Esc: DECLINE.

    It opens by itself when a reply ends, maybe while the user is typing the next message: keys do nothing (and
    the buttons are disabled) until it has been on screen ARMING_SECONDS with no key pressed, so a `y` of "you" or
    an Enter meant for the prompt never answers a call the user has not seen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "decline", "Decline", id="mcp_call.decline"),
        Binding("y", "run", "Run", id="mcp_call.run"),
        Binding("a", "always", "Always", id="mcp_call.always"),
    ]
    ARMING_SECONDS: ClassVar[float] = 0.5

    def __init__(self, tool: McpTool, call_id: str, arguments: str, position: str = "") -> None:
        """`position`: which of the reply's questions this is, such as "2 of 3" (empty when it is the only one; the
        calls of tools allowed for the session are not asked about, and not counted)."""
        super().__init__()
        self._tool, self._call_id, self._arguments, self._position = tool, call_id, arguments, position
        self.armed = False
        self._arming: Timer | None = None

    def compose(self) -> ComposeResult:
        tool = self._tool
        shown = tool.name if tool.name == tool.exposed else f"{tool.name} (offered as {tool.exposed})"
        with Vertical(id="mcp-call-dialog", classes="dialog"):
            of = f" ({self._position})" if self._position else ""
            yield Static(f"Run this MCP tool call?{of}", classes="dialog-title")
            # What is confirmed is shown exactly: a removed escape sequence would hide part of what runs.
            yield Static(exact_content(f"server: {tool.server}\ntool:   {shown}\ncall:   {self._call_id}"))
            with VerticalScroll(id="mcp-call-arguments"):
                yield Static(exact_content(self._arguments), id="mcp-call-arguments-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run (y)", variant="warning", id="mcp-call-run")
                yield Button("Allow for session (a)", id="mcp-call-always")
                yield Button("Decline (n)", variant="primary", id="mcp-call-decline")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.disabled = True
        self._arming = self.set_timer(self.ARMING_SECONDS, self._arm)

    def _arm(self) -> None:
        self.armed = True
        for button in self.query(Button):
            button.disabled = False
        self.query_one("#mcp-call-run", Button).focus()  # Enter runs, as y does

    def on_key(self, event: Key) -> None:
        """Before it is armed: a key is dropped, and the wait starts again (the user is still typing)."""
        if not self.armed:
            event.stop()
            event.prevent_default()
            if self._arming is not None:
                self._arming.reset()

    def on_resize(self, event: Resize) -> None:
        fewest, most = ARGUMENT_ROWS
        room = event.size.height * 9 // 10 - ROWS_AROUND_ARGUMENTS
        self.query_one("#mcp-call-arguments").styles.max_height = max(fewest, min(most, room)) + 2  # + its border

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        answers = {"mcp-call-run": RUN, "mcp-call-always": ALWAYS}
        self._answer(answers.get(event.button.id or "", DECLINE))

    def action_run(self) -> None:
        self._answer(RUN)

    def action_always(self) -> None:
        self._answer(ALWAYS)

    def action_decline(self) -> None:
        self._answer(DECLINE)

    def _answer(self, answer: str) -> None:
        if self.armed:
            self.dismiss(answer)


def states_content(states: list[ServerState], config_file: Path | None = None) -> Content:
    if not states:
        where = f"in {config_file}" if config_file is not None else "in the config file"
        return plain_content(
            f"No MCP servers are configured. Add one as a [mcp_servers.NAME] table {where}: command and args for a "
            'local server, or url for a remote one (README, "MCP tool servers"); toki starts it the next time it '
            "starts, and `toki mcp list` checks it."
        )
    lines: list[Content] = []
    for state in states:
        lines.append(Content.styled(displayable_line(state.name), "bold") + plain_content(f"  {state.describe()}"))
        lines.append(Content.styled(f"  {displayable_line(state.where)}", "dim"))
        for tool in state.tools:
            lines.append(plain_content(f"    {displayable_line(tool.exposed, 64)}  {_summary(tool)}"))
    return Content("\n").join(lines)


def _summary(tool: McpTool) -> str:
    stripped = tool.description.strip()
    return displayable_line(stripped.splitlines()[0], 100) if stripped else ""


def servers_footer(states: list[ServerState], close_key: str = "Esc") -> Content:
    """The keys line of `/mcp`: /tools only when there are servers whose tools it could switch off."""
    closes = f"{close_key} closes"
    return Content.styled(f"{closes}; /tools switches tools off for this conversation" if states else closes, "dim")


class McpServersScreen(ModalScreen[None]):
    """`/mcp`: each server with its state, where it runs, and its tools; shown again as states change."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "close", "Close", id="mcp.close")]

    def __init__(self, states: list[ServerState], config_file: Path | None = None) -> None:
        super().__init__()
        self._states = states
        self._config_file = config_file

    @property
    def _close_key(self) -> str:
        return shown_key(self.app, "mcp.close", "Esc")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="mcp-servers", classes="dialog"):
            yield Static("MCP servers", classes="dialog-title")
            yield Static(states_content(self._states, self._config_file), id="mcp-servers-text")
            yield Static(servers_footer(self._states, self._close_key), id="mcp-servers-keys")

    def show_states(self, states: list[ServerState]) -> None:
        self._states = states
        self.query_one("#mcp-servers-text", Static).update(states_content(states, self._config_file))
        self.query_one("#mcp-servers-keys", Static).update(servers_footer(states, self._close_key))

    def action_close(self) -> None:
        self.dismiss(None)


SWITCH_MARK = "X"
"""The mark SelectionList draws in each entry's box, its second segment (Textual's ToggleButton.BUTTON_INNER, not
exported): if Textual draws it otherwise, ToolSwitches leaves the line as it is, and its test fails."""


class ToolSwitches(SelectionList[str]):
    """A SelectionList whose switched-off entries show an empty box: SelectionList draws the same X for on and off,
    told apart by colour alone (green or red), which a colour-blind user or a monochrome theme cannot read."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if option.value in self.selected or len(segments) < 2 or segments[1].text != SWITCH_MARK:
            return strip
        segments[1] = Segment(" ", segments[1].style)
        return Strip(segments, strip.cell_length)


class McpToolsScreen(ModalScreen[frozenset[str] | None]):
    """`/tools`: the MCP servers and their tools, each switched on or off for this conversation. Space toggles,
    Enter keeps the choice (the names switched off), Esc leaves it as it was.

    A server switched off shows its tools off and inactive (none of them is sent), and keeps each tool's own
    choice for when it is switched on again. `show_states` lists the tools again as a server's change (its tool
    list changed while it runs), keeping the choices made so far; a new tool is on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="mcp_tools.cancel"),
        Binding("enter", "keep", "Keep", id="mcp_tools.keep", priority=True),
    ]

    def __init__(self, states: list[ServerState], off: frozenset[str], local_tools: list[str]) -> None:
        super().__init__()
        self._states, self._off, self._local = states, off, local_tools
        self._on: dict[str, bool] = {}
        """Each line's own choice (server and tool keys): a tool's stays while its server is off."""

    def _selections(self) -> list[Selection[str]]:
        selections: list[Selection[str]] = []
        for state in self._states:
            if state.status != "ready":
                continue
            key = SERVER_KEY + state.name
            server_on = self._on.setdefault(key, key not in self._off)
            count = len(state.tools)
            label = f"{state.name}  (MCP server, {count} tool{'s' if count != 1 else ''})"
            selections.append(Selection(plain_content(displayable_line(label)), key, server_on, id=key))
            for tool in state.tools:
                tool_key = TOOL_KEY + tool.exposed
                tool_on = self._on.setdefault(tool_key, tool_key not in self._off)
                line = f"    {displayable_line(tool.exposed, 64)}  {_summary(tool)}"
                shown_on, inactive = tool_on and server_on, not server_on
                selections.append(Selection(plain_content(line), tool_key, shown_on, id=tool_key, disabled=inactive))
        return selections

    def compose(self) -> ComposeResult:
        selections = self._selections()
        with Vertical(id="mcp-tools", classes="dialog"):
            yield Static("Tools offered in this conversation", classes="dialog-title")
            if self._local:
                yield Static(plain_content("Tools file: " + ", ".join(self._local)))
            yield ToolSwitches(*selections, id="mcp-tools-list")
            yield Static("No MCP server is ready (/mcp shows why).", id="mcp-tools-none")
            keep, cancel = (
                shown_key(self.app, "mcp_tools.keep", "Enter"),
                shown_key(self.app, "mcp_tools.cancel", "Esc"),
            )
            yield Static(
                Content.styled(f"Space switches one on or off, {keep} keeps the choice, {cancel} cancels", "dim")
            )

    def on_mount(self) -> None:
        self._show_or_hide_list()

    def _show_or_hide_list(self) -> None:
        listed = self.query_one(SelectionList)
        listed.display = listed.option_count > 0
        self.query_one("#mcp-tools-none").display = not listed.display

    def show_states(self, states: list[ServerState]) -> None:
        """List the servers' tools again (a server's tools changed), keeping the choices made so far."""
        self._remember_choices()
        self._states = states
        listed = self.query_one(SelectionList)
        highlighted = listed.highlighted
        listed.clear_options()
        listed.add_options(self._selections())
        if highlighted is not None and listed.option_count:
            listed.highlighted = min(highlighted, listed.option_count - 1)
        self._show_or_hide_list()

    def _remember_choices(self) -> None:
        """The lines the user can switch now say their choice; an inactive tool's is kept as it was."""
        listed = self.query_one(SelectionList)
        selected = set(listed.selected)
        for index in range(listed.option_count):
            option = listed.get_option_at_index(index)
            if not option.disabled:
                self._on[str(option.value)] = option.value in selected

    @on(SelectionList.SelectedChanged)
    def _switched(self, event: SelectionList.SelectedChanged[str]) -> None:
        """A server switched off: its tools show off and inactive; switched on: their own choices again."""
        self._remember_choices()
        listed = event.selection_list
        for state in self._states:
            server_on = self._on.get(SERVER_KEY + state.name, True)
            for tool in state.tools if state.status == "ready" else ():
                key = TOOL_KEY + tool.exposed
                if key not in self._on:
                    continue
                (listed.enable_option if server_on else listed.disable_option)(key)
                (listed.select if server_on and self._on[key] else listed.deselect)(key)

    def on_resize(self, event: Resize) -> None:
        fewest, most = TOOL_ROWS
        room = event.size.height * 9 // 10 - ROWS_AROUND_TOOLS - (1 if self._local else 0) - 2  # - its border
        for listed in self.query(SelectionList):
            listed.styles.max_height = max(fewest, min(most, room)) + 2

    def action_keep(self) -> None:
        if not self.query_one(SelectionList).option_count:
            self.dismiss(self._off)
            return
        self._remember_choices()
        self.dismiss(frozenset(key for key, on in self._on.items() if not on))

    def action_cancel(self) -> None:
        self.dismiss(None)
