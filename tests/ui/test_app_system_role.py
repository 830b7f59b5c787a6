"""The system prompt can be sent as "developer": chosen with /role or the sidebar, remembered per conversation,
and defaulted per endpoint in the config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Switch

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import AppHarness, enter_text, make_app, wait_until
from toki_tui.core.config.config_file import load_config
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.widgets.prompt_input import PromptInput


async def _command(pilot: Pilot[Any], harness: AppHarness, text: str) -> None:
    harness.screen.query_one(PromptInput).focus()
    await enter_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


async def _send(pilot: Pilot[Any], harness: AppHarness, text: str, count: int) -> dict[str, Any]:
    """Send `text` as the `count`th request and return that request's body."""
    await _command(pilot, harness, text)
    await wait_until(pilot, lambda: len(harness.server.chat_requests()) == count and not harness.screen.streaming)
    body: dict[str, Any] = harness.server.chat_requests()[-1].json()
    return body


async def test_role_command_sends_developer_and_the_conversation_remembers_it(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.script(stream_text("one"), stream_text("two"), stream_text("three"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await _command(pilot, harness, "/system Be brief.")
        await _command(pilot, harness, "/role developer")
        await wait_until(pilot, lambda: harness.screen.query_one("#param-system_role", Switch).value)
        body = await _send(pilot, harness, "hello", 1)
        assert body["messages"][0] == {"role": "developer", "content": "Be brief."}
        assert "system_role" not in body, "the role is not a body field"
        conversation_id = harness.screen.session.conversation_id
        assert conversation_id is not None
    harness.store.close()

    store = HistoryStore(harness.history_file)
    store.open()
    assert store.get_conversation(conversation_id).params.get("system_role") == "developer"
    again = make_app(tmp_path, fake_server, resume=conversation_id, store=store)
    async with again.app.run_test(size=(140, 40)) as pilot:
        await again.ready(pilot)
        await wait_until(pilot, lambda: again.screen.session.conversation_id == conversation_id)
        await wait_until(pilot, lambda: again.screen.query_one("#param-system_role", Switch).value)
        body = await _send(pilot, again, "again", 2)
        assert body["messages"][0]["role"] == "developer"
    store.close()


async def test_the_sidebar_switch_chooses_the_role(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("one"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await _command(pilot, harness, "/system Be brief.")
        switch = harness.screen.query_one("#param-system_role", Switch)
        assert not switch.value
        switch.toggle()
        await wait_until(pilot, lambda: harness.screen.session.params.system_role == "developer")
        body = await _send(pilot, harness, "hello", 1)
        assert body["messages"][0]["role"] == "developer"


async def test_a_bad_role_is_refused_and_kept_in_the_prompt(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await _command(pilot, harness, "/role admin")
        assert harness.screen.query_one(PromptInput).text == "/role admin"
        assert harness.screen.session.params.system_role == "system"


async def test_the_endpoint_default_role_applies_to_new_conversations(tmp_path: Path, fake_server: FakeServer) -> None:
    (tmp_path / "config").mkdir(parents=True)
    (tmp_path / "config" / "config.toml").write_text(
        f'[parameters]\nsystem_prompt = "Be brief."\n[endpoints.toki]\nbase_url = "{fake_server.base_url}"\n'
        'system_role = "developer"\n'
    )
    config = load_config(tmp_path / "config" / "config.toml")
    assert config.endpoints["toki"].system_role == "developer"
    fake_server.script(stream_text("one"))
    harness = make_app(tmp_path, fake_server, config=config)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        body = await _send(pilot, harness, "hello", 1)
        assert body["messages"][0] == {"role": "developer", "content": "Be brief."}
