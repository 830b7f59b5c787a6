"""The hostile corpus through every surface of the app that shows outside text: the app does not crash, nothing in the
text acts on the terminal (no escape, C1 control, bidi override or lone surrogate reaches it), no markup in it is parsed
(no click action appears; the brackets are shown), nothing invisible is left hidden, and a 10,000-character line does
not break a row.

Surfaces: a stored conversation (title, question and its attachment's name, reply, reasoning, error, model id, tool call
name and arguments), the reply-details dialog (model, endpoint, parameters, usage names, finish reason, error), the file
an export of a hostile title writes and its notification, what /copy puts in the clipboard and its notification, the
history list and its search snippets, a streamed reply with reasoning, a server's error message, model ids in the picker
(listed and filtered), model ids in the compare picker and the compare columns' headers, and compared replies and
errors, model ids and file names offered by Tab completion in the prompt (and its hint line), `/model` and `/title`
values, notifications, theme names and file names in the theme report, a parameter field's error, and presets (their
values in `/preset`'s notification, the command palette and the sidebar, the sidebar's preset name, and preset files'
names and problems in the start-up report). The MCP surfaces (a tool call's confirmation, `/mcp`, `/tools`: a hostile
tool name, description and arguments from a real MCP server) are in tests/ui/test_app_mcp.py, which starts that server;
that a confirmation (an MCP call, a tool command) shows every character of what runs is in
tests/ui/test_mcp_call_dialog.py; the one-line values of a message's header, tool calls and attachments in
tests/ui/test_safe_text.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from tests.fakes.models import models_reply
from tests.fakes.per_model import by_model
from tests.fakes.replies import openai_error_reply
from tests.fakes.server import FakeServer, stream_text
from tests.hostile import (
    CSI_SCREEN,
    HOSTILE,
    HOSTILE_ACTIONS,
    HOSTILE_LONG_LINE,
    HOSTILE_TEXT,
    LITERAL_MARKERS,
    MARKUP_CLICK,
    MARKUP_CLOSE,
    assert_inert,
    storable,
    toml_string,
)
from tests.ui.app_support import AppHarness, assert_dialog_centered, make_app, wait_until
from tests.ui.terminal_frame import click_actions, screen_plain_text, terminal_output
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.core.text import displayable_line
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList
from toki_tui.ui.widgets.prompt_input import PromptInput


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.pause()


async def submit(pilot: Any, harness: AppHarness, text: str) -> None:
    """Send `text` from the prompt, as pasting it and pressing Enter does."""
    prompt = harness.screen.query_one(PromptInput)
    prompt.text = ""
    prompt.focus()
    harness.app.post_message(events.Paste(text))
    await pilot.pause()
    await pilot.press("enter")


def assert_screen_inert(harness: AppHarness) -> None:
    assert harness.app.is_running, "the app stopped"
    assert_inert(terminal_output(harness.app))
    actions = click_actions(harness.app)
    assert not [action for action in actions if any(bad in action for bad in HOSTILE_ACTIONS)], actions


def seed_hostile_conversation(root: Path) -> tuple[HistoryStore, str]:
    (root / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(root / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model=storable(HOSTILE), title=storable(HOSTILE))
    hostile_file = {"name": storable(HOSTILE), "kind": "text", "size": 3, "media_type": "text/plain", "data": "abc"}
    question = store.add_message(
        conversation.id, role="user", content=storable(HOSTILE_TEXT), attachments=[hostile_file]
    )
    reply = store.start_reply(
        conversation.id,
        parent_id=question.id,
        model=storable(HOSTILE),
        endpoint=storable(HOSTILE),
        params={"stop": [storable(HOSTILE)], storable(MARKUP_CLOSE): storable(HOSTILE)},
    )
    store.finish_reply(
        reply.id,
        content=storable(HOSTILE_TEXT),
        reasoning=storable(HOSTILE_TEXT),
        status="error",
        error=storable(HOSTILE),
        finish_reason=storable(HOSTILE),
        usage={"completion_tokens": 12, storable(HOSTILE): 3},
        tool_calls=[
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": storable(HOSTILE), "arguments": storable(HOSTILE)},
            }
        ],
    )
    store.create_conversation(endpoint="toki", model="m", title=HOSTILE_LONG_LINE)
    return store, conversation.id


async def test_a_hostile_stored_conversation_opens_and_nothing_in_it_acts(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    store, conversation_id = seed_hostile_conversation(tmp_path)
    harness = make_app(tmp_path, fake_server, resume=conversation_id, store=store)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        await harness.ready(pilot)
        await settle(pilot)
        assert_screen_inert(harness)
        shown = screen_plain_text(harness.app)
        assert MARKUP_CLOSE in shown  # the title (border) and the bodies show the brackets
        label = view.messages[0].attachments[0]  # the attachment's name, below the question (off screen)
        assert label.startswith("hostile ") and label.endswith(" · text · 3 B") and displayable_line(label) == label
        await pilot.press("f3")  # the reasoning, unfolded
        await settle(pilot)
        assert_screen_inert(harness)

        await pilot.press("ctrl+b")  # the history list: two hostile titles, one 10,000 characters long
        history = harness.screen.query_one(HistoryList)
        await wait_until(pilot, lambda: history.option_count == 2)
        await settle(pilot)
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)

        harness.screen.history.load_history("click")  # a search whose snippets come from the hostile text
        await harness.app.workers.wait_for_complete()
        await wait_until(pilot, lambda: history.option_count >= 1)
        await settle(pilot)
        assert_screen_inert(harness)


async def test_hostile_server_text_streams_and_errors_without_effect(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(
        stream_text([HOSTILE_TEXT[:500], HOSTILE_TEXT[500:]], reasoning=[HOSTILE[:40], HOSTILE[40:]]),
        openai_error_reply(400, HOSTILE),
    )
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        await harness.ready(pilot)
        screen = harness.screen
        await submit(pilot, harness, "first")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not screen.streaming)
        await settle(pilot)
        assert_screen_inert(harness)
        for marker in LITERAL_MARKERS:
            assert marker in screen_plain_text(harness.app)
        await submit(pilot, harness, "second")  # the server answers 400 with a hostile message
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not screen.streaming)
        await settle(pilot)
        assert_screen_inert(harness)


async def test_hostile_model_ids_in_the_picker_and_the_status_line(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script_models(models_reply(ids=[HOSTILE, MARKUP_CLOSE, HOSTILE_LONG_LINE, "plain/model"]))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: len(harness.screen.models) == 4)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)
        for query in ("x", "click", "h"):  # the filter highlights matches inside the hostile ids
            await pilot.press(*query)
            await settle(pilot)
            assert_screen_inert(harness)
            for _ in query:
                await pilot.press("backspace")
        await pilot.press(*"click", "enter")  # choose the hostile id: the status line and the sidebar show it
        await settle(pilot)
        assert harness.screen.session.model == HOSTILE.replace("\ud800", "\ufffd")  # as the JSON parser repairs it
        await pilot.press("f2")
        await settle(pilot)
        assert_screen_inert(harness)
        await submit(pilot, harness, "/model " + MARKUP_CLOSE)  # the notification names the model
        await settle(pilot)
        assert_screen_inert(harness)
        assert harness.screen.session.model == MARKUP_CLOSE


async def test_hostile_model_ids_and_replies_in_compare(tmp_path: Path, fake_server: FakeServer) -> None:
    from toki_tui.ui.screens.compare_picker import ComparePickerScreen
    from toki_tui.ui.widgets.compare_view import CompareView

    fake_server.script_models(models_reply(ids=[HOSTILE, MARKUP_CLOSE, HOSTILE_LONG_LINE]))
    fake_server.default_reply = by_model(
        {MARKUP_CLOSE: openai_error_reply(400, HOSTILE)},
        default=stream_text([HOSTILE_TEXT[:500], HOSTILE_TEXT[500:]], reasoning=HOSTILE[:40]),
    )
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: len(harness.screen.models) == 3)
        harness.screen.compare.pick()
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ComparePickerScreen))
        for _ in range(3):  # mark all three: the marked line names them
            await pilot.press("space", "down")
        await settle(pilot)
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)
        picker = harness.app.screen
        assert isinstance(picker, ComparePickerScreen) and len(picker.marked) == 3
        assert_dialog_centered(harness.app, "#picker")
        await pilot.press("enter")
        await settle(pilot)
        assert harness.screen.compare.armed is not None and len(harness.screen.compare.armed) == 3
        assert_screen_inert(harness)  # the marker above the prompt names them
        await submit(pilot, harness, "compare these")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 3 and not harness.screen.streaming)
        await settle(pilot)
        assert harness.screen.query(CompareView)
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)
        await pilot.resize_terminal(80, 24)  # too short to stack: the line of tabs names the models
        await wait_until(pilot, lambda: harness.screen.query_one(CompareView).has_class("-tabbed"))
        await settle(pilot)
        assert_screen_inert(harness)
        assert " 3 x[/]y · error " in screen_plain_text(harness.app)


async def test_hostile_model_ids_and_file_names_in_prompt_completion(tmp_path: Path, fake_server: FakeServer) -> None:
    ids = [HOSTILE, MARKUP_CLOSE, MARKUP_CLICK, CSI_SCREEN + "x", HOSTILE_LONG_LINE, "plain/model"]
    fake_server.script_models(models_reply(ids=ids))
    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("[@click=app.quit]click", "\x1b[2Jescape", "[b red]loud"):
        (folder / name).write_text("x")
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50)) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: len(harness.screen.models) == len(ids))
        prompt = harness.screen.query_one(PromptInput)
        prompt.focus()
        for typed in ("/model x", "/model c", "/model h", "/model "):  # the hint names the candidates
            prompt.text = typed
            await settle(pilot)
            await pilot.press("tab", "tab", "tab")
            await settle(pilot)
            assert_screen_inert(harness)
            assert not click_actions(harness.app)
            assert "\x1b" not in prompt.text, "an id with an escape was put in the prompt"
        prompt.text = "/model x"
        await pilot.press("tab")
        await settle(pilot)
        assert prompt.text == f"/model {MARKUP_CLOSE} "
        assert MARKUP_CLOSE in screen_plain_text(harness.app)
        prompt.text = f"/export md {folder}/"
        await pilot.press("tab")
        await wait_until(pilot, lambda: prompt.text != f"/export md {folder}/")
        for _ in range(3):
            await pilot.press("tab")
            await settle(pilot)
            assert_screen_inert(harness)
            assert not click_actions(harness.app)
            assert "\x1b" not in prompt.text, "a file name with an escape was put in the prompt"
        assert harness.app.focused is prompt


async def test_hostile_notifications_titles_and_field_errors(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        await harness.ready(pilot)
        harness.app.notify(HOSTILE, title=HOSTILE, severity="error")
        harness.screen.notify(HOSTILE_LONG_LINE)
        await submit(pilot, harness, "/title " + HOSTILE)
        await submit(pilot, harness, "/temperature " + HOSTILE)
        harness.app.post_message(events.Paste(HOSTILE))  # into the prompt
        await pilot.press("f2")
        await settle(pilot)
        harness.screen.query_one("#param-temperature").focus()
        harness.app.post_message(events.Paste(HOSTILE))  # a paste reaches the field displayable
        await settle(pilot)
        assert "\x1b" not in harness.screen.query_one("#param-temperature", Input).value
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)


async def test_hostile_theme_names_and_file_names(tmp_path: Path, fake_server: FakeServer) -> None:
    themes = tmp_path / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "markup.toml").write_text('name = "x[/]y"\nprimary = "#ff0000"\n', encoding="utf-8")
    (themes / "escape.toml").write_text('name = "a\\u001b]52;c;cHduZWQ=\\u0007"\nprimary = "#ff0000"\n')
    (themes / "[@click=app.bell]\x1b]0;t\x07.toml").write_text("not toml [", encoding="utf-8")
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        await harness.ready(pilot)
        await settle(pilot)
        assert "x[/]y" not in harness.app.available_themes  # a name that is not an identifier is refused
        assert_screen_inert(harness)  # the report names each file and its problem
        assert "must be 1-64 letters" in screen_plain_text(harness.app)
        await pilot.press("ctrl+t")  # Textual's theme picker lists only the names that loaded
        await settle(pilot)
        assert_screen_inert(harness)


async def test_hostile_reply_details_export_and_copy(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toki_tui.ui.screens.reply_details import ReplyDetailsScreen

    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("toki_tui.ui.clipboard._is_wsl", lambda: False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    store, conversation_id = seed_hostile_conversation(tmp_path)
    harness = make_app(tmp_path, fake_server, resume=conversation_id, store=store)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        await harness.ready(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ReplyDetailsScreen))
        await settle(pilot)
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)  # the parameter's name, shown as written
        await pilot.press("escape")
        await submit(pilot, harness, "/copy")
        await wait_until(pilot, lambda: "hostile" in harness.app.clipboard)
        # What is copied is what was shown: pasted into a shell, an escape (bracketed paste's end, ESC [201~) or
        # a CR in the clipboard could run a command the reader never saw.
        assert_inert(harness.app.clipboard)
        assert "\r" not in harness.app.clipboard and MARKUP_CLOSE in harness.app.clipboard
        await submit(pilot, harness, "/export md")
        await wait_until(pilot, lambda: any(work.iterdir()))
        await harness.app.workers.wait_for_complete()
        [written] = list(work.iterdir())
        assert written.name.isprintable() and "/" not in written.name and not written.name.startswith(".")
        await settle(pilot)
        assert_screen_inert(harness)


async def test_hostile_preset_values_files_and_names(tmp_path: Path, fake_server: FakeServer) -> None:
    """A preset's values (model id, system prompt, tools file) in its notification, the palette and the sidebar;
    preset files named with markup and escapes in the start-up report; the sidebar's preset name line."""
    import json

    from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar

    presets = tmp_path / "config" / "presets"
    presets.mkdir(parents=True)
    value = toml_string(HOSTILE)
    (presets / "odd.toml").write_text(f"model = {value}\nsystem_prompt = {value}\n", encoding="utf-8")
    (presets / "[@click=app.bell]\x1b]0;t\x07.toml").write_text("not toml [", encoding="utf-8")
    (presets / "bad.toml").write_text(f"model = 3\n{json.dumps(MARKUP_CLICK)} = 1\n", encoding="utf-8")
    harness = make_app(tmp_path, fake_server)
    harness.app.start_preset = harness.app.config.presets["odd"]  # as `toki --preset odd` gives it
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        await harness.ready(pilot)
        await settle(pilot)
        assert harness.screen.session.system_prompt == storable(HOSTILE), "--preset's settings are applied"
        assert_screen_inert(harness)  # the start-up report names each file left out and its problem
        assert "Presets left out" in screen_plain_text(harness.app)
        await submit(pilot, harness, "/preset odd")
        await pilot.press("f2")
        harness.screen.query_one(ParameterSidebar).show_preset(HOSTILE)
        await settle(pilot)
        assert_screen_inert(harness)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: harness.app.screen.query(Input))
        harness.app.screen.query_one(Input).value = "Preset"  # the palette lists the presets that match
        await wait_until(pilot, lambda: "Preset: odd" in screen_plain_text(harness.app))
        assert_screen_inert(harness)
