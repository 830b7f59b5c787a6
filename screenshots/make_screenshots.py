"""Regenerate screenshots/*.svg from the loopback fake server: `python screenshots/make_screenshots.py`.

Every picture comes from the real app built by create_app(), a real history store and the fake server, in a
temporary folder (the user's own config and history are never read). No API key is involved.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.mcp_config import fake_server_config
from tests.fakes.per_model import by_model
from tests.fakes.server import FakeServer, models_reply, openai_error_reply, stream_text
from tests.fakes.streams import stream_tool_calls
from tests.ui.app_support import sidebars_built
from toki_tui.core.api.params import ChatParams
from toki_tui.core.config.config_file import Config, resolve_endpoint, with_endpoint
from toki_tui.core.pricing import Price, reply_cost
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.factory import create_app
from toki_tui.ui.screens.mcp_dialogs import McpCallDialog
from toki_tui.ui.widgets.history_list import HistoryList

OUT = Path(__file__).resolve().parent

REPLY = """Here is a small **retry helper** with exponential back-off:

```python
import asyncio
import random


async def retry(call, attempts: int = 5, base: float = 0.5):
    for attempt in range(attempts):
        try:
            return await call()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            delay = base * 2**attempt * random.uniform(0.8, 1.2)
            await asyncio.sleep(delay)
```

- Jitter keeps many clients from retrying in lock-step.
- The last failure is re-raised, so callers still see it.
"""

HISTORY = [
    ("Packing list for Kyoto in April", "What should I pack for Kyoto in early April?", "Layers: mornings are cool."),
    ("SQLite WAL vs rollback journal", "When is WAL mode a bad idea?", "On network file systems."),
    ("Regex for ISO dates", "A regex for ISO 8601 dates?", "`\\d{4}-\\d{2}-\\d{2}` for the date part."),
    ("Explain Rust lifetimes simply", "Explain lifetimes like I'm five.", "A borrow may not outlive its owner."),
]


def seed(store: HistoryStore) -> None:
    for title, question, answer in HISTORY:
        conversation = store.create_conversation(
            endpoint="toki", model="deepseek/deepseek-chat-v3", system_prompt=None, params={}
        )
        asked = store.add_message(conversation.id, role="user", content=question)
        reply = store.start_reply(
            conversation.id, parent_id=asked.id, model="deepseek/deepseek-chat-v3", endpoint="toki", params={}
        )
        store.finish_reply(reply.id, content=answer, status="complete", usage={"prompt_tokens": 20})
        store.rename_conversation(conversation.id, title)


async def shoot(root: Path, server: FakeServer) -> None:
    from dataclasses import replace

    # The built-in "toki" endpoint, pointed at the fake server: the pictures show "toki", not the server's port.
    config = Config(parameters=ChatParams(temperature=0.7, max_tokens=1024))
    config = with_endpoint(config, replace(config.endpoints["toki"], base_url=server.base_url))
    endpoint = resolve_endpoint(config, {"TOKI_API_KEY": "sk-screenshot"})
    store = HistoryStore(root / "history.sqlite3")
    store.open()
    seed(store)

    def build(theme: str = "toki-dark", resume: str | None = None) -> object:
        return create_app(
            config=replace(config, theme=theme),
            endpoint=endpoint,
            store=store,
            resume=resume,
            config_file=root / "config.toml",
            cache_dir=root / "cache",
            themes_dir=root / "themes",
        )

    tokens = [REPLY[i : i + 6] for i in range(0, len(REPLY), 6)]
    cut = REPLY.index("await asyncio.sleep")
    first_part = sum(1 for i in range(0, len(REPLY), 6) if i < cut)

    async def ready(pilot: object, app: object) -> None:
        """Wait for what the chat screen mounts after its first frame (the sidebars' fields and list)."""
        for _ in range(200):
            if sidebars_built(app.screen):  # type: ignore[attr-defined]
                return
            await pilot.pause(0.01)  # type: ignore[attr-defined]

    # 1. A reply with a code block, caught while it streams (the fence is still open): the server sends the
    # first part and then waits, so the picture does not depend on timing.
    streaming = stream_text(tokens, chunk_delay=0.01)
    server.script(replace(streaming, parts=streaming.parts[: 1 + first_part], ending="hang", hang_seconds=30))
    app = build()
    async with app.run_test(size=(120, 36)) as pilot:  # type: ignore[attr-defined]
        await ready(pilot, app)
        await pilot.press(*"retry helper", "enter")
        screen = app.screen  # type: ignore[attr-defined]
        for _ in range(500):
            reply = screen.session.reply
            if reply is not None and len(reply.content) >= first_part * 6:
                break
            await pilot.pause(0.01)
        await pilot.pause(0.3)  # the coalesced flush and the tokens-per-second figure
        app.save_screenshot(str(OUT / "chat-streaming.svg"))  # type: ignore[attr-defined]
        await pilot.press("escape")
        await app.workers.wait_for_complete()  # type: ignore[attr-defined]

    # 2. The model picker with context lengths and prices.
    server.script_models(models_reply("openrouter"))
    app = build()
    async with app.run_test(size=(120, 36)) as pilot:  # type: ignore[attr-defined]
        await ready(pilot, app)
        for _ in range(200):
            if app.screen.model_choice.note == "" and len(app.screen.models) > 3:  # type: ignore[attr-defined]
                break
            await pilot.pause(0.02)
        await pilot.press("ctrl+o")
        await pilot.press(*"deep")
        await pilot.pause(0.1)
        app.save_screenshot(str(OUT / "model-picker.svg"))  # type: ignore[attr-defined]

    # 3. The parameter sidebar, with a refused value.
    server.script(stream_text("Sure — set to 0.7 for a bit of variety."))
    app = build()
    async with app.run_test(size=(140, 40)) as pilot:  # type: ignore[attr-defined]
        await ready(pilot, app)
        await pilot.press(*"/temperature 0.7", "enter")
        await pilot.press(*"hello", "enter")
        await app.workers.wait_for_complete()  # type: ignore[attr-defined]
        app.screen.query_one("#param-top_p").focus()  # type: ignore[attr-defined]
        await pilot.press("1", "full_stop", "5")
        await pilot.pause(0.1)
        app.save_screenshot(str(OUT / "sidebar.svg"))  # type: ignore[attr-defined]

    # 4. The history list (shown at this width; Ctrl+B toggles it), a saved conversation opened from it.
    for name, theme in (("history", "toki-dark"), ("light-theme", "toki-light")):
        app = build(theme)
        async with app.run_test(size=(150, 36)) as pilot:  # type: ignore[attr-defined]
            await ready(pilot, app)
            for _ in range(100):
                if app.screen.query_one(HistoryList).option_count:  # type: ignore[attr-defined]
                    break
                await pilot.pause(0.02)
            app.screen.query_one(HistoryList).focus_list()  # type: ignore[attr-defined]
            await pilot.press("down", "enter")
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / f"{name}.svg"))  # type: ignore[attr-defined]

    # 5. Branches: a question answered three times (two regenerations), shown on the second answer with its
    # `‹ 2/3 ›` marker, then the same reply's details (F4).
    conversation = store.create_conversation(endpoint="toki", model="deepseek/deepseek-chat-v3")
    question = store.add_message(conversation.id, role="user", content="Suggest a name for a CLI chat client")
    answers = ("**toki**: short, easy to type.", "**parley**: a conversation, with a nod to talks.", "**chirp**.")
    replies = []
    for number, answer in enumerate(answers):
        reply = store.start_reply(
            conversation.id,
            parent_id=question.id,
            model="deepseek/deepseek-chat-v3",
            endpoint="toki",
            params={"temperature": 0.9},
        )
        usage = {"prompt_tokens": 14, "completion_tokens": 9 + number, "total_tokens": 23 + number}
        price = Price(0.27, 1.10, "server")  # the fake list's price for the model: the header and details show it
        replies.append(
            store.finish_reply(
                reply.id,
                content=answer,
                status="complete",
                usage=usage,
                ttft=0.31,
                duration=0.62,
                finish_reason="stop",
                cost_estimate=reply_cost(usage, price),
                price=price,
            )
        )
    store.set_current_leaf(conversation.id, replies[1].id)
    store.rename_conversation(conversation.id, "Naming the client")
    app = build(resume=conversation.id)
    async with app.run_test(size=(132, 30)) as pilot:  # type: ignore[attr-defined]
        await ready(pilot, app)
        await pilot.pause(0.3)
        app.save_screenshot(str(OUT / "branches.svg"))  # type: ignore[attr-defined]
        await pilot.press("f4")
        await pilot.pause(0.3)
        app.save_screenshot(str(OUT / "reply-details.svg"))  # type: ignore[attr-defined]
    # 6. Compare: three models answering one question side by side, the first done (with its cost from the
    # server's prices), the second still streaming (the server holds the rest), the third out of quota.
    fast, slow, failing = "deepseek/deepseek-chat-v3", "openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct"
    held = stream_text(tokens, chunk_delay=0.005)
    server.script_models(models_reply("openrouter"))
    server.default_reply = by_model(
        {
            fast: stream_text(tokens, chunk_delay=0.002),
            slow: replace(held, parts=held.parts[: 1 + first_part], ending="hang", hang_seconds=30),
            failing: openai_error_reply(429, "You exceeded your current quota.", code="insufficient_quota"),
        }
    )
    app = build()
    async with app.run_test(size=(150, 40)) as pilot:  # type: ignore[attr-defined]
        await ready(pilot, app)
        screen = app.screen  # type: ignore[attr-defined]
        for _ in range(200):
            if len(screen.models) > 3:
                break
            await pilot.pause(0.02)
        await pilot.press("ctrl+b")  # the history list hidden: the columns get its room
        await pilot.press(*f"/compare {fast} {slow} {failing}", "enter")
        await pilot.press(*"retry helper", "enter")
        for _ in range(500):
            turn = screen.compare.turn
            if turn is not None and turn.runs[0].reply_status == "complete" and len(turn.runs[1].content) >= cut:
                break
            await pilot.pause(0.01)
        await pilot.pause(0.4)  # the columns' flush and the headers' figures
        app.save_screenshot(str(OUT / "compare.svg"))  # type: ignore[attr-defined]
        await pilot.press("escape")
        await app.workers.wait_for_complete()  # type: ignore[attr-defined]

    # 7. An MCP tool call waiting for the user's yes: the test MCP server (tests/fakes/mcp_server.py) as "notes",
    # the model calling its echo tool. The dialog names the server, the tool and the call; no path is shown.
    arguments = json.dumps({"text": "Remember: the demo is on Thursday at 10:00, room 4B."})
    server.script(stream_tool_calls([{"id": "call_7f3a", "name": "echo", "arguments": arguments}]))
    mcp_config = replace(config, mcp_servers={"notes": fake_server_config("notes")})
    app = create_app(
        config=mcp_config,
        endpoint=endpoint,
        store=store,
        config_file=root / "config.toml",
        cache_dir=root / "cache",
        themes_dir=root / "themes",
    )
    async with app.run_test(size=(110, 32)) as pilot:
        await ready(pilot, app)
        manager = app.mcp
        assert manager is not None
        for _ in range(1500):
            if manager.wait_settled(0):
                break
            await pilot.pause(0.02)
        await pilot.press(*"Note the demo date", "enter")
        for _ in range(500):
            if isinstance(app.screen, McpCallDialog):
                break
            await pilot.pause(0.01)
        await pilot.pause(0.8)  # armed: the buttons enabled
        app.save_screenshot(str(OUT / "mcp-call.svg"))
        await pilot.press("n")
        await app.workers.wait_for_complete()
    store.close()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="toki-shots-") as folder, FakeServer() as server:
        asyncio.run(shoot(Path(folder), server))
    names = (
        "chat-streaming",
        "model-picker",
        "sidebar",
        "history",
        "light-theme",
        "branches",
        "reply-details",
        "compare",
        "mcp-call",
    )
    for name in names:
        print(OUT / f"{name}.svg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
