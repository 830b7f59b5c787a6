"""SVG snapshots of the main screens. Each docstring says what a reviewer should see in the picture.

Regenerate after an intended change with `pytest tests/snapshots --snapshot-update` and look at the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import make_app, sidebars_built, type_text, wait_until
from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.config.config_file import Config
from toki_tui.ui.screens.chat import ChatScreen
from toki_tui.ui.screens.model_picker import ModelPickerScreen


async def steady_cursors(pilot: Pilot[Any]) -> None:
    """Text cursors blink; a picture taken mid-blink would differ run to run. Keep them solid. (First wait for
    the sidebars' fields, mounted after the first frame, so they are in the picture and steadied too.)"""
    chat = next(screen for screen in pilot.app.screen_stack if isinstance(screen, ChatScreen))
    await wait_until(pilot, lambda: sidebars_built(chat))
    for screen in pilot.app.screen_stack:
        for widget in screen.query("TextArea, Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


async def steady_after(run_before: Any, pilot: Pilot[Any]) -> None:
    await run_before(pilot)
    await steady_cursors(pilot)


# make_app points the built-in "toki" endpoint at the loopback fake server: the pictures show the endpoint
# as "toki", never the server's random port, and nothing reaches the network.


def test_empty_chat_at_80x24(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """80×24: both sidebars collapsed; the conversation fills the width; the prompt at the bottom shows its
    placeholder naming Enter, Ctrl+J / Alt+Enter and "/"; the status line says the model and "ready"; the footer
    lists Send, Model, History, Params, New, Help, Quit."""
    harness = make_app(tmp_path, fake_server)
    assert snap_compare(harness.app, terminal_size=(80, 24), run_before=steady_cursors)


def test_wide_chat_with_a_reply(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """200×60: the parameter sidebar on the right (temperature 0.3 after the slash command; the history list is
    hidden for the picture because its times change), a user message and a finished Markdown reply (a two-item
    list, inline code, bold, italics) in the middle, and the usage of the reply (12 in · N out) in the status
    line."""
    fake_server.script(stream_text("Sure:\n\n- use `print`\n- pass it a **string**\n\nThat prints *hello*."))
    harness = make_app(tmp_path, fake_server)

    async def run_before(pilot: Pilot[Any]) -> None:
        await harness.ready(pilot)
        await type_text(pilot, "/temperature 0.3")
        await pilot.press("enter")
        await type_text(pilot, "say hello in python")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        # Times in the history list change every minute; the list shows only titles for the picture.
        harness.app.screen.query_one("#history").display = False
        harness.app.clear_notifications()
        await pilot.pause(0.5)

    assert snap_compare(harness.app, terminal_size=(200, 60), run_before=lambda pilot: steady_after(run_before, pilot))


def test_model_picker(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """The model picker over the chat: filter box with "gpt", matching ids with the matched letters
    highlighted, each with its context length and price per million tokens; a model without prices says
    "price unknown"."""
    harness = make_app(tmp_path, fake_server)
    models = [
        ModelInfo(
            id="openai/gpt-4o", context_length=128_000, prompt_price_per_million=2.5, completion_price_per_million=10.0
        ),
        ModelInfo(
            id="openai/gpt-4o-mini",
            context_length=128_000,
            prompt_price_per_million=0.15,
            completion_price_per_million=0.6,
        ),
        ModelInfo(id="openrouter/auto-gpt"),
        ModelInfo(id="deepseek/deepseek-chat-v3", context_length=163_840),
    ]

    async def run_before(pilot: Pilot[Any]) -> None:
        await harness.app.push_screen(ModelPickerScreen(models, current_model="openai/gpt-4o", note=""))
        await type_text(pilot, "gpt")
        harness.app.clear_notifications()
        await pilot.pause(0.1)

    assert snap_compare(harness.app, terminal_size=(100, 30), run_before=lambda pilot: steady_after(run_before, pilot))


def test_api_key_dialog_in_the_light_theme(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """toki-light: a white background; the "An API key is needed" dialog explaining that history stays
    browsable, where the key would be saved, and TOKI_API_KEY; a masked input and Save key / Later buttons."""
    from dataclasses import replace

    harness = make_app(tmp_path, fake_server, config=replace(Config(), theme="toki-light"), api_key=None)

    async def run_before(pilot: Pilot[Any]) -> None:
        from toki_tui.ui.screens.api_key_dialog import ApiKeyDialog

        await wait_until(pilot, lambda: isinstance(harness.app.screen, ApiKeyDialog))
        harness.app.screen.query_one("#api-key-explanation").update(  # type: ignore[attr-defined]
            "The endpoint toki has no API key. (The config path is left out of the picture: it is a temp dir.)\n\n"
            "Paste a key to save it (readable only by you), or press Esc and set TOKI_API_KEY."
        )
        harness.app.clear_notifications()
        await pilot.pause(0.1)

    assert snap_compare(harness.app, terminal_size=(100, 30), run_before=lambda pilot: steady_after(run_before, pilot))


def test_a_branch_with_siblings_a_stopped_reply_and_an_edit(
    snap_compare: Any, tmp_path: Path, fake_server: FakeServer
) -> None:
    """100×30, no sidebars: the question "Name a river", then the second of three answers ("The Danube.") with
    `‹ 2/3 ›` after "Assistant · seed/model" in its header; then "And its length?" and a reply cut off at
    "It is about 2,850" marked "■ stopped" followed by "⏵ continue". Above the prompt, the marker "editing message
    3 (Esc cancels)" and the prompt holds "And its length?" (after /edit)."""
    from toki_tui.core.store.history_store import HistoryStore

    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="seed/model")
    question = store.add_message(conversation.id, role="user", content="Name a river")
    answers = []
    for text in ("The Nile.", "The Danube.", "The Amazon."):
        reply = store.start_reply(
            conversation.id, parent_id=question.id, model="seed/model", endpoint="toki", params={}
        )
        answers.append(store.finish_reply(reply.id, content=text, status="complete"))
    follow_up = store.add_message(conversation.id, role="user", content="And its length?", parent_id=answers[1].id)
    cut = store.start_reply(conversation.id, parent_id=follow_up.id, model="seed/model", endpoint="toki", params={})
    store.finish_reply(cut.id, content="It is about 2,850", status="stopped")
    harness = make_app(tmp_path, fake_server, resume=conversation.id, store=store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: len(harness.screen.query("MessageView")) == 4)
        await type_text(pilot, "/edit")
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.query_one("#edit-marker").has_class("-visible"))
        await pilot.pause(0.3)

    assert snap_compare(harness.app, terminal_size=(100, 30), run_before=lambda pilot: steady_after(run_before, pilot))
