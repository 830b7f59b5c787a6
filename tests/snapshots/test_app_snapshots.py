"""SVG snapshots of the main screens. Each docstring says what a reviewer should see in the picture.

Regenerate after an intended change with `pytest tests/snapshots --snapshot-update` and look at the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, sidebars_built, wait_until
from toki_tui.core.api.model_info import ModelInfo
from toki_tui.core.config.config_file import Config, with_endpoint
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


SHOWN_CONFIG_FILE = Path("/home/user/.config/toki/config.toml")
SHOWN_BASE_URL = "http://127.0.0.1:9/v1"

# make_app points the built-in "toki" endpoint at the loopback fake server: the pictures show the endpoint
# as "toki", never the server's random port, and nothing reaches the network.


def test_empty_chat_at_80x24(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """80×24: both sidebars collapsed; the conversation fills the width; the prompt at the bottom shows its
    placeholder naming Enter, Ctrl+J / Alt+Enter and "/"; the status line says the model and "ready"; the footer
    lists Send, Model, History, Params, New, Help, Quit."""
    harness = make_app(tmp_path, fake_server)
    assert snap_compare(harness.app, terminal_size=(80, 24), run_before=steady_cursors)


def test_wide_chat_with_a_reply(
    snap_compare: Any, tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200×60: the parameter sidebar on the right (temperature 0.3 after the slash command; the history list is
    hidden for the picture because its times change), a user message and a finished Markdown reply (a two-item
    list, inline code, bold, italics) in the middle, its header "Assistant · model · N tokens · 48.0 tok/s" (the
    speed fixed for the picture: it is measured), and the usage of the reply (12 in · N out) in the status
    line."""
    monkeypatch.setattr("toki_tui.ui.reply_header.tokens_per_second", lambda *_: 48.0)
    fake_server.script(stream_text("Sure:\n\n- use `print`\n- pass it a **string**\n\nThat prints *hello*."))
    harness = make_app(tmp_path, fake_server)

    async def run_before(pilot: Pilot[Any]) -> None:
        await harness.ready(pilot)
        await enter_text(pilot, "/temperature 0.3")
        await pilot.press("enter")
        await enter_text(pilot, "say hello in python")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        await harness.app.workers.wait_for_complete()
        # Times in the history list change every minute; the list shows only titles for the picture.
        harness.app.screen.query_one("#history").display = False
        harness.app.clear_notifications()
        await pilot.pause()

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
        await enter_text(pilot, "gpt")
        harness.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(harness.app, terminal_size=(100, 30), run_before=lambda pilot: steady_after(run_before, pilot))


def test_api_key_dialog_in_the_light_theme(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """toki-light: a white background; the "An API key is needed" dialog naming the endpoint toki and its URL,
    explaining that history stays browsable, that the key would be saved in ~/.config/toki/config.toml, and
    TOKI_API_KEY; a masked input and Save key / Later buttons."""
    from dataclasses import replace

    from toki_tui.ui.screens.api_key_dialog import ApiKeyDialog

    # The dialog shows the endpoint's URL and the config file's path: both fixed here, so the picture holds the
    # dialog's real text. Without a key nothing is sent; the URL is a closed loopback port all the same.
    config = Config()
    config = replace(config, theme="toki-light")
    config = with_endpoint(config, replace(config.endpoints["toki"], base_url=SHOWN_BASE_URL))
    harness = make_app(tmp_path, fake_server, config=config, api_key=None, shown_config_file=SHOWN_CONFIG_FILE)

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ApiKeyDialog))
        harness.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(harness.app, terminal_size=(100, 30), run_before=lambda pilot: steady_after(run_before, pilot))
    assert not SHOWN_CONFIG_FILE.exists()


def test_reply_details_dialog(snap_compare: Any, tmp_path: Path, fake_server: FakeServer) -> None:
    """The reply-details dialog over a stored conversation (F4): "How this reply was made", then in two columns
    Model openai/gpt-4o-mini, Endpoint toki, Status complete, Finish reason stop, Parameters sent 2 with
    temperature 0.3 and max_tokens 500 indented below, Prompt tokens 1,204, Completion tokens 356, Total tokens
    1,560, Reasoning tokens 128, Time to first token 420 ms, Duration 3.10 s, Speed 133 tok/s, Cost (estimate)
    "≈$0.00039: 1,204 prompt tokens at 0.15 and 356 completion tokens at 0.6 per million (the server's price)",
    wrapped under the values, not under the labels;
    "Esc closes" at the bottom. Behind it, the reply's header reads "Assistant · openai/gpt-4o-mini · 356 tokens ·
    133 tok/s · ≈$0.00039"."""
    from toki_tui.core.pricing import Price
    from toki_tui.core.store.history_store import HistoryStore

    (tmp_path / "data").mkdir(parents=True)
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="openai/gpt-4o-mini", title="Sorting in Python")
    question = store.add_message(conversation.id, role="user", content="How do I sort a list in place?")
    params = {"temperature": 0.3, "max_tokens": 500}
    reply = store.start_reply(
        conversation.id, parent_id=question.id, model="openai/gpt-4o-mini", endpoint="toki", params=params
    )
    store.finish_reply(
        reply.id,
        content="Use `list.sort()`; `sorted()` returns a new list.",
        status="complete",
        finish_reason="stop",
        usage={"prompt_tokens": 1204, "completion_tokens": 356, "total_tokens": 1560, "reasoning_tokens": 128},
        ttft=0.42,
        duration=3.1,
        cost_estimate=0.0003942,
        price=Price(0.15, 0.6, "server"),
    )
    harness = make_app(tmp_path, fake_server, store=store, resume=conversation.id)

    async def run_before(pilot: Pilot[Any]) -> None:
        from toki_tui.ui.screens.reply_details import ReplyDetailsScreen

        await harness.ready(pilot)
        await wait_until(pilot, lambda: len(harness.screen.query("MessageView")) == 2)
        harness.screen.query_one("#history").display = False
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ReplyDetailsScreen))
        harness.app.clear_notifications()
        await pilot.pause(0.1)

    assert snap_compare(harness.app, terminal_size=(100, 34), run_before=lambda pilot: steady_after(run_before, pilot))


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
        await enter_text(pilot, "/edit")
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.query_one("#edit-marker").has_class("-visible"))
        # Whatever the edit set off (the store read on its thread, focus and styles) settles before the picture,
        # however slowly a loaded machine runs it.
        await harness.app.workers.wait_for_complete()
        await wait_until(pilot, lambda: harness.app.focused is harness.screen.query_one("#prompt"))
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(harness.app, terminal_size=(100, 30), run_before=lambda pilot: steady_after(run_before, pilot))
