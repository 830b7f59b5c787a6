"""Tools in the TUI: /tools loads a file (in a worker), /tool_choice picks how the model may use them, and
/tool_result answers a call, after which the model goes on."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tests.fakes.server import FakeServer, stream_text, stream_tool_calls
from tests.hostile import HOSTILE, MARKUP_CLOSE, storable
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from tests.ui.terminal_frame import screen_plain_text
from tests.ui.test_hostile_surfaces import assert_screen_inert, settle
from toki_tui.core.config.config_file import Config
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.screens.confirm_dialog import ConfirmDialog
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.prompt_input import PromptInput

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
CALL = {"id": "call_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'}


async def _command(pilot: Pilot[Any], harness: AppHarness, text: str) -> None:
    harness.screen.query_one(PromptInput).focus()
    await enter_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


def _notices(harness: AppHarness, title: str) -> list[str]:
    return [n.message for n in harness.app._notifications if n.title == title]


async def test_tools_are_sent_and_a_result_lets_the_model_go_on(tmp_path: Path, fake_server: FakeServer) -> None:
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps([WEATHER]))
    fake_server.script(stream_tool_calls([CALL]), stream_text("It is 12 C in Oslo."))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await _command(pilot, harness, f"/tools {tools_file}")
        await wait_until(pilot, lambda: harness.screen.session.params.tools is not None)
        await _command(pilot, harness, "/tool_choice get_weather")
        await _command(pilot, harness, "weather in Oslo?")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1 and not harness.screen.streaming)
        first = fake_server.chat_requests()[0].json()
        assert first["tools"] == [WEATHER]
        assert first["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
        await _command(pilot, harness, "/tool_result 12 C, cloudy")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        second = fake_server.chat_requests()[1].json()
        assert second["messages"][-1] == {"role": "tool", "content": "12 C, cloudy", "tool_call_id": "call_1"}
        assert second["tools"] == [WEATHER]
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        branch = harness.store.branch(conversation_id)
        assert [(m.role, m.tool_call_id, m.content) for m in branch[1:]] == [
            ("assistant", None, ""),
            ("tool", "call_1", "12 C, cloudy"),
            ("assistant", None, "It is 12 C in Oslo."),
        ]


async def test_a_bad_tools_file_is_named_and_changes_nothing(tmp_path: Path, fake_server: FakeServer) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await _command(pilot, harness, f"/tools {bad}")
        await wait_until(pilot, lambda: _notices(harness, "Tools not loaded"))
        [notice] = _notices(harness, "Tools not loaded")
        assert str(bad) in notice and "not valid JSON" in notice
        assert harness.screen.session.params.tools is None
        assert harness.screen.query_one(PromptInput).text == f"/tools {bad}"


async def test_a_result_with_no_open_call_is_refused_without_a_request(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("hello"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40), notifications=True) as pilot:
        await harness.ready(pilot)
        await _command(pilot, harness, "hi")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 1 and not harness.screen.streaming)
        await _command(pilot, harness, "/tool_result 42")
        await wait_until(pilot, lambda: _notices(harness, "Command not applied"))
        assert "no open tool call" in _notices(harness, "Command not applied")[0]
        assert len(fake_server.chat_requests()) == 1
        assert harness.screen.query_one(PromptInput).text == "/tool_result 42"


async def test_hostile_tool_names_ids_and_results_are_shown_as_plain_text(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="m", title="tools")
    store.add_message(conversation.id, role="user", content="go")
    call = {"id": storable(HOSTILE), "type": "function", "function": {"name": storable(HOSTILE), "arguments": "{}"}}
    store.add_message(conversation.id, role="assistant", content="", tool_calls=[call])
    store.add_message(conversation.id, role="tool", content=storable(HOSTILE), tool_call_id=storable(HOSTILE))
    harness = make_app(tmp_path, fake_server, resume=conversation.id, store=store)
    async with harness.app.run_test(size=(160, 50), notifications=True) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 3)
        await harness.ready(pilot)
        await settle(pilot)
        assert_screen_inert(harness)
        assert MARKUP_CLOSE in screen_plain_text(harness.app)
        assert "result of" in screen_plain_text(harness.app)


ECHO_ARGS = "import json, sys; print(json.dumps(sys.argv[1:]))"


async def _tool_call_on_screen(pilot: Pilot[Any], harness: AppHarness) -> None:
    await _command(pilot, harness, "weather in Oslo?")
    await wait_until(pilot, lambda: len(harness.server.chat_requests()) == 1 and not harness.screen.streaming)


async def test_a_bound_command_runs_only_after_confirmation_with_the_arguments_as_data(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script(stream_tool_calls([CALL]), stream_text("It is 12 C."))
    config = Config(tool_commands={"get_weather": (sys.executable, "-c", ECHO_ARGS)})
    harness = make_app(tmp_path, fake_server, config=config)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await _tool_call_on_screen(pilot, harness)
        await _command(pilot, harness, "/tool_run")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ConfirmDialog))
        question = str(harness.app.screen.query_one("#confirm-question", Static).render())
        assert sys.executable in question and CALL["arguments"] in question
        assert len(fake_server.chat_requests()) == 1  # nothing runs before the yes
        await pilot.press("y")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        result = fake_server.chat_requests()[1].json()["messages"][-1]
        assert result["role"] == "tool" and result["tool_call_id"] == "call_1"
        assert json.loads(result["content"]) == [CALL["arguments"]]


async def test_a_refused_command_does_not_run_and_the_call_stays_open(tmp_path: Path, fake_server: FakeServer) -> None:
    planted = tmp_path / "planted"
    fake_server.script(stream_tool_calls([CALL]))
    config = Config(tool_commands={"get_weather": ("/usr/bin/touch", str(planted))})
    harness = make_app(tmp_path, fake_server, config=config)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await _tool_call_on_screen(pilot, harness)
        await _command(pilot, harness, "/tool_run call_1")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ConfirmDialog))
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(harness.app.screen, ConfirmDialog))
        assert not planted.exists()
        assert len(fake_server.chat_requests()) == 1
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
        assert [m.role for m in harness.store.branch(conversation_id)] == ["user", "assistant"]
