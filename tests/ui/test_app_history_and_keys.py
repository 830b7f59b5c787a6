"""Resume (--resume and the history list), titles, new conversations, the missing-key dialog, themes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, Static

from tests.fakes.server import FakeServer, stream_text
from tests.ui.app_support import enter_text, make_app, sidebars_built, wait_until
from toki_tui.core.config.config_file import Config, EndpointConfig, load_config, with_changes, with_endpoint
from toki_tui.core.store.history_store import HistoryStore
from toki_tui.ui.screens.api_key_dialog import ApiKeyDialog
from toki_tui.ui.screens.help import HelpScreen
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.history_list import HistoryList


def seed(store: HistoryStore, title_word: str, turns: int, *, model: str = "seed/model") -> str:
    conversation = store.create_conversation(
        endpoint="toki", model=model, system_prompt="be brief", params={"temperature": 0.7}
    )
    for turn in range(turns):
        question = store.add_message(conversation.id, role="user", content=f"{title_word} question {turn}")
        reply = store.start_reply(conversation.id, parent_id=question.id, model=model, endpoint="toki", params={})
        store.finish_reply(reply.id, content=f"answer {turn}", status="complete")
    return str(conversation.id)


def open_store(root: Path) -> HistoryStore:
    (root / "data").mkdir(parents=True, exist_ok=True)
    store = HistoryStore(root / "data" / "history.sqlite3")
    store.open()
    return store


async def test_resume_last_shows_the_latest_messages_and_restores_settings(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    store = open_store(tmp_path)
    seed(store, "older", 2)
    conversation_id = seed(store, "newest", 300)
    fake_server.script(stream_text("continuing"))
    harness = make_app(tmp_path, fake_server, resume="last", store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) > 0)
        assert harness.screen.session.conversation_id == conversation_id
        assert view.messages[-1].content == "answer 299"
        assert len(view.messages) < 600  # only the latest page, the rest loads on scroll-up
        assert harness.screen.session.model == "seed/model"
        assert harness.screen.session.params.temperature == 0.7
        assert harness.screen.session.system_prompt == "be brief"
        await enter_text(pilot, "go on")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        body = fake_server.chat_requests()[0].json()
        assert body["model"] == "seed/model"
        assert body["temperature"] == 0.7
        assert body["messages"][0] == {"role": "system", "content": "be brief"}
        assert body["messages"][-1] == {"role": "user", "content": "go on"}
        assert body["messages"][-2] == {"role": "assistant", "content": "answer 299"}


async def test_the_history_list_opens_a_conversation_and_searches(tmp_path: Path, fake_server: FakeServer) -> None:
    store = open_store(tmp_path)
    first = seed(store, "pelican", 1)
    seed(store, "walrus", 1)
    harness = make_app(tmp_path, fake_server, store=store)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+b")
        history = harness.app.screen.query_one(HistoryList)
        await wait_until(pilot, lambda: history.option_count == 2)
        history.query_one("#history-search", Input).focus()
        await enter_text(pilot, "pelican")
        await wait_until(pilot, lambda: history.option_count == 1)
        await pilot.press("enter")  # from the search box to the list
        options = history.query_one(OptionList)
        assert options.has_focus
        await pilot.press("enter")
        await wait_until(pilot, lambda: harness.screen.session.conversation_id == first)
        view = harness.app.screen.query_one(ConversationView)
        await wait_until(pilot, lambda: len(view.messages) == 2)
        assert view.messages[0].content == "pelican question 0"


async def test_title_and_new_conversation(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(stream_text("one"), stream_text("two"))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await enter_text(pilot, "/title My plans")
        await pilot.press("enter")
        await enter_text(pilot, "first question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        first_id = harness.screen.session.conversation_id
        assert first_id is not None
        await wait_until(pilot, lambda: harness.store.get_conversation(first_id).title == "My plans")
        await enter_text(pilot, "/new")
        await pilot.press("enter")
        assert harness.screen.session.conversation_id is None
        assert harness.app.screen.query_one(ConversationView).messages == []
        await enter_text(pilot, "second question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 2 and not harness.screen.streaming)
        assert harness.screen.session.conversation_id not in (None, first_id)
        assert fake_server.chat_requests()[1].json()["messages"] == [{"role": "user", "content": "second question"}]


async def test_help_lists_the_commands(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(100, 40)) as pilot:
        await enter_text(pilot, "/help")
        await pilot.press("enter")
        assert isinstance(harness.app.screen, HelpScreen)
        text = str(harness.app.screen.query_one("#help-text").render())
        assert "/temperature" in text and "Ctrl+J" in text
        await pilot.press("escape")
        assert not isinstance(harness.app.screen, HelpScreen)


async def test_tab_completes_a_command_name(tmp_path: Path, fake_server: FakeServer) -> None:
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await enter_text(pilot, "/tem")
        await pilot.press("tab")
        assert harness.app.screen.query_one("#prompt").text == "/temperature "  # type: ignore[attr-defined]


async def test_without_a_key_the_app_opens_asks_for_one_and_saves_it_0600(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    store = open_store(tmp_path)
    seed(store, "browsable", 1)
    fake_server.script(stream_text("now with a key"))
    # An endpoint that needs a key (api_key_env names a variable that is not set) and has none.
    local = EndpointConfig("local", fake_server.base_url, api_key_env="TOKI_TEST_UNSET_KEY")
    config = with_changes(with_endpoint(Config(), local), endpoint="local")
    harness = make_app(tmp_path, fake_server, api_key=None, store=store, config=config)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ApiKeyDialog))
        # Names the endpoint's own variable, not the built-in endpoint's TOKI_API_KEY.
        explanation = str(harness.app.screen.query_one("#api-key-explanation", Static).content)
        assert "TOKI_TEST_UNSET_KEY" in explanation and "TOKI_API_KEY" not in explanation
        await pilot.press("escape")  # later: the history is still browsable
        await pilot.press("ctrl+b")
        history = harness.app.screen.query_one(HistoryList)
        await wait_until(pilot, lambda: history.option_count == 1)
        harness.app.screen.query_one("#prompt").focus()
        await enter_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(harness.app.screen, ApiKeyDialog))
        assert fake_server.chat_requests() == []
        await enter_text(pilot, "sk-typed-key-42")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not harness.app.needs_api_key)
        assert harness.config_file.stat().st_mode & 0o777 == 0o600
        saved = load_config(harness.config_file)
        # Saved on the endpoint of the host it is used for, and nowhere else.
        assert saved.endpoints["local"].api_key == "sk-typed-key-42"
        assert saved.endpoints["local"].base_url == fake_server.base_url
        assert saved.endpoints["toki"].api_key is None
        # The prompt kept the text; sending now carries the key.
        await pilot.press("enter")
        await wait_until(pilot, lambda: fake_server.chat_requests() and not harness.screen.streaming)
        assert fake_server.chat_requests()[0].headers.get("authorization") == "Bearer sk-typed-key-42"
    assert "sk-typed-key-42" not in repr(harness.app.endpoint)


async def test_a_bad_user_theme_is_reported_once_and_the_choice_is_saved(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    themes = tmp_path / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "#12345z"\nbackground = "notacolour"\n')
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\ndark = false\n')
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(100, 30)) as pilot:
        notices = [n for n in harness.app._notifications if n.title == "Themes"]
        assert len(notices) == 1
        assert "#12345z" in notices[0].message and "notacolour" in notices[0].message
        assert harness.app.theme == "toki-dark"
        assert "mine" in harness.app.available_themes
        assert "broken" not in harness.app.available_themes
        harness.app.theme = "toki-light"
        await pilot.pause()
    assert load_config(harness.config_file).theme == "toki-light"
    assert os.stat(harness.config_file).st_mode & 0o777 == 0o600


async def test_the_saved_theme_is_the_one_on_screen_from_the_first_frame(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    """The start-up theme is set without Textual's theme watcher (it re-parses every stylesheet): the colours on
    screen must still be the chosen theme's, dark or light, and Textual's own default theme must never show."""
    from textual.color import Color

    for name in ("toki-dark", "toki-light", "toki-high-contrast"):
        root = tmp_path / name
        harness = make_app(root, fake_server, config=with_changes(Config(), theme=name))
        async with harness.app.run_test(size=(100, 30)):
            theme = harness.app.get_theme(name)
            assert theme is not None and theme.background is not None
            assert harness.app.current_theme.name == name
            assert harness.app.has_class(f"-theme-{name}")
            assert harness.app.has_class("-dark-mode") is theme.dark
            assert harness.screen.styles.background == Color.parse(theme.background), name


async def test_on_started_runs_once_after_the_first_frame(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`toki` starts with the garbage collector paused and turns it back on in `on_started`: it must run, once,
    and only after the first frame was handed to the terminal. The work deferred past the first frame (the
    sidebars' fields) must come after a frame a terminal would show: Textual drops a frame composed while a
    batch update is open (App._display), and the app's own start-up is one. When the chat screen was pushed from
    App.on_mount, its first frame fell in that batch; a real terminal stayed blank until the deferred work was
    done, ~200 ms later (tests/benchmarks/bench_tui_start.py, under a pty)."""
    from toki_tui.ui.app import TokiApp

    frames: list[object] = []
    built_at_first_frame: list[bool] = []
    original_display = TokiApp._display

    def display(self: TokiApp, screen: Any, renderable: Any) -> None:
        if renderable is not None and not self._batch_count:  # what a terminal would be sent
            if not frames:
                built_at_first_frame.append(sidebars_built(self.screen))  # type: ignore[arg-type]
            frames.append(renderable)
        original_display(self, screen, renderable)

    monkeypatch.setattr(TokiApp, "_display", display)
    frames_when_started: list[int] = []
    harness = make_app(tmp_path, fake_server, on_started=lambda: frames_when_started.append(len(frames)))
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.ready(pilot)
        await enter_text(pilot, "hi")  # more frames: on_started does not run again
        await pilot.pause()
    assert len(frames_when_started) == 1 and frames_when_started[0] >= 1
    assert len(frames) > frames_when_started[0]
    assert built_at_first_frame == [False]


async def test_a_saved_theme_maps_colours_as_choosing_it_in_the_app_does(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    """Themes that use the terminal's own ANSI colours (Textual's ansi-dark) need the colour filter Textual's
    theme watcher sets up: starting on a saved theme must end up as choosing it from the running app does."""
    from textual.filter import ANSIToTruecolor

    def filter_state(app: Any) -> list[tuple[bool, object]]:
        # Textual keeps its line filters in a private list; the truecolor one says whether ANSI colours are
        # converted (and with which palette) or left to the terminal.
        return [(f.enabled, f._terminal_theme) for f in app._filters if isinstance(f, ANSIToTruecolor)]

    for name in ("ansi-dark", "ansi-light", "toki-light", "toki-dark"):
        chosen = make_app(tmp_path / f"{name}-chosen", fake_server)
        async with chosen.app.run_test(size=(80, 24)) as pilot:
            chosen.app.theme = name
            await pilot.pause()
            expected = filter_state(chosen.app)
        started = make_app(tmp_path / f"{name}-saved", fake_server, config=with_changes(Config(), theme=name))
        async with started.app.run_test(size=(80, 24)):
            assert started.app.current_theme.name == name
            assert filter_state(started.app) == expected, name


async def test_ctrl_b_pressed_at_once_focuses_the_search_box_once_it_is_there(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history list's search box mounts after the first frame; Ctrl+B pressed before that still lands in it,
    and Ctrl+B twice leaves the focus in the prompt."""
    from textual.widgets import Input

    # Hold the list's deferred mount until the keys are in, so the keys surely come before it.
    from toki_tui.ui.widgets.after_first_frame import ChildrenAfterFirstFrame
    from toki_tui.ui.widgets.prompt_input import PromptInput

    monkeypatch.setattr(ChildrenAfterFirstFrame, "on_mount", lambda self: None)
    for keys, expected in ((["ctrl+b"], "history-search"), (["ctrl+b", "ctrl+b"], "prompt")):
        harness = make_app(tmp_path / str(len(keys)), fake_server)
        async with harness.app.run_test(size=(100, 30)) as pilot:
            history = harness.screen.query_one(HistoryList)
            await pilot.press(*keys)
            assert not history.built
            await history._build()  # the deferred mount, now
            await pilot.pause()
            focused = harness.app.focused
            assert isinstance(focused, Input | PromptInput) and focused.id == expected, keys


async def test_a_quit_before_the_sidebars_mount_their_children_leaves_them_unbuilt(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+Q at once: Textual skips mounts on an app that is exiting; the sidebars must then neither raise nor
    claim to be built (their methods would query children that are not there)."""
    from toki_tui.ui.widgets.after_first_frame import ChildrenAfterFirstFrame
    from toki_tui.ui.widgets.parameter_sidebar import ParameterSidebar

    monkeypatch.setattr(ChildrenAfterFirstFrame, "on_mount", lambda self: None)
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(160, 40)) as pilot:
        sidebars = [harness.screen.query_one(HistoryList), harness.screen.query_one(ParameterSidebar)]
        await pilot.press("ctrl+q")
        for sidebar in sidebars:
            await sidebar._build()  # the deferred mount, arriving after the quit
            assert not sidebar.built
        sidebars[0].show_entries([])  # kept for later, not applied to children that are not there
        sidebars[1].show_model("m")


async def test_the_footer_is_rebuilt_only_when_what_it_shows_changes(tmp_path: Path, fake_server: FakeServer) -> None:
    """Footer rebuilds its keys on every bindings signal (a focus change, a mounted field); KeyFooter skips the
    rebuilds that would show the same keys, and still shows the Esc hint while a reply streams."""
    from textual.widgets._footer import FooterKey

    from tests.fakes.server import stream_text
    from toki_tui.ui.widgets.key_footer import KeyFooter

    fake_server.script(stream_text(["word "] * 40, chunk_delay=0.02))
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await pilot.pause()
        footer = harness.screen.query_one(KeyFooter)

        def keys() -> list[FooterKey]:
            return list(footer.query(FooterKey))

        before = keys()
        assert "quit" in {key.action for key in before}
        harness.screen.refresh_bindings()  # the signal Footer rebuilds on, with nothing changed
        await pilot.pause()
        await pilot.pause()
        assert keys() == before  # the same widgets: not rebuilt

        await enter_text(pilot, "go")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "stop_reply" in {key.action for key in keys()})
        await wait_until(pilot, lambda: not harness.screen.streaming)
        await wait_until(pilot, lambda: "stop_reply" not in {key.action for key in keys()})

        # Narrower than the keys: those that would be cut at the palette's key are hidden, not shown in part
        # (a lone "^" of "^q Quit"), and come back when there is room.
        def shown_and_fitting() -> tuple[list[str], bool]:
            [palette] = [key for key in keys() if key.has_class("-command-palette")]
            shown = [key for key in keys() if key.display and key is not palette]
            return [key.action for key in shown], all(key.region.right <= palette.region.x for key in shown)

        await pilot.resize_terminal(66, 40)
        await wait_until(pilot, lambda: shown_and_fitting()[1] and "quit" not in shown_and_fitting()[0])
        assert shown_and_fitting()[0][:2] == ["submit", "pick_model"]  # the first keys stay
        await pilot.resize_terminal(140, 40)
        await wait_until(pilot, lambda: "quit" in shown_and_fitting()[0])


async def test_start_up_imports_run_in_a_thread(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store, the client (httpx) and the renderer are imported off the UI thread after the first frame: on
    it, they held it ~200 ms and a key typed then waited as long."""
    import threading

    from toki_tui.ui.screens import start_up

    threads: list[threading.Thread] = []
    original = start_up.import_what_start_up_needs

    def recording() -> None:
        threads.append(threading.current_thread())
        original()

    monkeypatch.setattr(start_up, "import_what_start_up_needs", recording)
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(140, 40)) as pilot:
        await harness.ready(pilot)
        await wait_until(pilot, lambda: threads)
    assert threads[0] is not threading.main_thread()
