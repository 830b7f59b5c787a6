"""Compare in the app: /compare arms it, the next prompt goes to every model at once (each request asserted),
the replies stream side by side with the failing one's error in its own column, the store holds them as
siblings, and choosing a column continues the conversation on that reply; when narrow the columns stack, and X
stops one reply while the other goes on. One app run for both turns."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.per_model import by_model
from tests.fakes.server import FakeServer, openai_error_reply, stream_tool_calls, text_reply
from tests.ui.app_support import make_app, wait_until
from tests.ui.conversation_support import widget_text
from tests.ui.terminal_frame import screen_plain_text
from toki_tui.ui.widgets.compare_view import CompareView
from toki_tui.ui.widgets.conversation_view import ConversationView
from toki_tui.ui.widgets.prompt_input import PromptInput

MODELS = ("m/alpha", "m/beta", "m/gamma")


async def test_compare_three_models_one_failing_then_continue_with_the_second_then_stop_one_when_narrow(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    fake_server.default_reply = by_model(
        {
            "m/alpha": text_reply("Alpha says hi.", chunk_delay=0.005),
            "m/beta": text_reply("Beta says hello.", usage_extra={"cost": 0.0042}),  # a router's charge
            "m/gamma": openai_error_reply(429, "You exceeded your current quota.", code="insufficient_quota"),
        },
        default=text_reply("Next answer."),
    )
    harness = make_app(tmp_path, fake_server)
    async with harness.app.run_test(size=(120, 40)) as pilot:
        await harness.ready(pilot)
        screen = harness.screen
        prompt = screen.query_one(PromptInput)
        for command in ("/temperature 0.4", "/compare " + " ".join(MODELS)):
            prompt.text = command
            await pilot.press("enter")
        assert screen.compare.armed == MODELS
        assert "the next prompt goes to m/alpha, m/beta, m/gamma" in widget_text(screen.query_one("#compare-marker"))

        prompt.text = "Which one?"
        await pilot.press("enter")
        view = screen.query_one(CompareView)
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 3 and not screen.compare.streaming)
        assert not view.has_class("-stacked")  # 120 columns: side by side

        bodies = sorted((request.json() for request in fake_server.chat_requests()), key=lambda body: body["model"])
        assert [body["model"] for body in bodies] == list(MODELS)
        for body in bodies:
            assert body["messages"] == [{"role": "user", "content": "Which one?"}]
            assert body["temperature"] == 0.4 and body["stream"] is True

        alpha, beta, gamma = (live.message for live in view.lives)
        assert (alpha.status, alpha.content) == ("complete", "Alpha says hi.")
        assert (beta.status, beta.content) == ("complete", "Beta says hello.")
        assert gamma.status == "error" and gamma.error is not None and "quota" in gamma.error
        await wait_until(pilot, lambda: "✓" in widget_text(view.columns[0].header))  # the headers' next repaint
        headers = [widget_text(column.header) for column in view.columns]
        assert headers[0].split()[:4] == ["1", "m/alpha", "✓", "continuing…"] and "complete" in headers[0]
        assert headers[2].split()[:4] == ["3", "m/gamma", "error", "·"] and "cost unknown" in headers[2]
        assert "cost unknown" in headers[0] and "$0.0042" in headers[1] and "≈" not in headers[1]
        spend = harness.app.spend  # the run's total: alpha unpriced (no prices), beta charged, the failed one free
        await wait_until(pilot, lambda: spend.unpriced == 1)
        assert (spend.priced, spend.cost, spend.reported) == (1, 0.0042, 1)

        conversation_id = screen.session.conversation_id
        assert conversation_id is not None
        question, *replies = harness.store.conversation_messages(conversation_id)
        assert {(r.model, r.status, r.parent_id) for r in replies} == {
            ("m/alpha", "complete", question.id),
            ("m/beta", "complete", question.id),
            ("m/gamma", "error", question.id),
        }
        assert {r.model: (r.cost_estimate, r.cost_reported) for r in replies}["m/beta"] == (0.0042, True)

        # On the columns, letters typed go to the prompt, and so does Esc once the replies have ended.
        await pilot.press("shift+tab", "o", "k")
        assert harness.app.focused is prompt and prompt.text == "ok"
        prompt.text = ""
        await pilot.press("shift+tab")
        assert "x" not in screen.active_bindings  # nothing left to stop: no "Stop this one" hint
        await pilot.press("escape")
        assert harness.app.focused is prompt and screen.query_one(CompareView) is view

        # Shift+Tab reaches the columns; 2 selects the second, Enter continues with it.
        await pilot.press("shift+tab")
        assert harness.app.focused is view
        await pilot.press("2", "enter")
        await wait_until(pilot, lambda: not screen.query(CompareView))
        conversation = screen.query_one(ConversationView)
        await wait_until(
            pilot, lambda: [m.content for m in conversation.messages] == ["Which one?", "Beta says hello."]
        )
        beta_id = next(r.id for r in replies if r.model == "m/beta")
        assert harness.store.get_conversation(conversation_id).current_leaf_id == beta_id
        assert screen.session.model == "m/beta"  # the model whose reply was chosen answers from now on
        assert "The next messages go to m/beta" in [n.message for n in harness.app._notifications][-1]

        prompt.focus()
        prompt.text = "And then?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == 4 and not screen.streaming)
        last = fake_server.chat_requests()[-1].json()
        assert [m["content"] for m in last["messages"]] == ["Which one?", "Beta says hello.", "And then?"]
        assert last["model"] == "m/beta"
        # The conversation reopens with it.
        await wait_until(pilot, lambda: harness.store.get_conversation(conversation_id).model == "m/beta")

        # Narrower than 100 columns the replies stack; X on the selected column stops that reply only.
        await pilot.resize_terminal(90, 40)
        fake_server.default_reply = by_model(
            {"m/fast": text_reply("Quick.", chunk_delay=0.005), "m/slow": text_reply(["word "] * 400, chunk_delay=0.02)}
        )
        # The line saying compare is armed wraps rather than cut off the models it names (long ids, 90 columns).
        long_ids = ("vendor/a-rather-long-model-name-v3", "vendor/another-long-model-name", "vendor/third-long-one-v2")
        screen.compare.arm(long_ids)
        await pilot.pause()
        armed_text = screen_plain_text(harness.app)
        assert all(model_id in armed_text for model_id in long_ids) and "cancels)" in armed_text
        screen.compare.arm(("m/slow", "m/fast"))
        prompt.text = "Go"
        await pilot.press("enter")
        view = screen.query_one(CompareView)
        assert view.has_class("-stacked")
        marker = " ".join(widget_text(screen.query_one("#compare-marker")).split())
        assert marker.endswith("Enter continues with it); Esc stops all"), marker  # wrapped at 90 columns, not cut
        await wait_until(pilot, lambda: "word" in view.lives[0].content)
        # Sent while the replies arrive: the text goes back in the prompt, the cursor at its end, so what is
        # typed next follows it.
        prompt.text = "Hold"
        await pilot.press("enter")
        await pilot.press("!")
        assert prompt.text == "Hold!"
        prompt.text = ""
        await pilot.press("shift+tab")
        assert "x" in screen.active_bindings
        await pilot.press("x")
        await wait_until(pilot, lambda: not screen.compare.streaming)
        slow, fast = (live.message for live in view.lives)
        assert fast.status == "complete" and slow.status == "stopped"
        assert slow.id is not None and harness.store.get_message(slow.id).status == "stopped"
        await harness.app.workers.wait_for_complete()

        # Too short to stack them with room for their text (80x24): one column at a time under a line of tabs.
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: view.has_class("-tabbed"))
        assert [column.display for column in view.columns] == [True, False]
        tabs = screen_plain_text(harness.app)
        assert "1 m/slow · stopped" in tabs and "2 m/fast · complete" in tabs
        await pilot.press("2")
        await wait_until(pilot, lambda: [column.display for column in view.columns] == [False, True])
        await pilot.press("1")
        await pilot.resize_terminal(90, 40)
        await wait_until(pilot, lambda: not view.has_class("-tabbed"))
        assert all(column.display for column in view.columns)

        # The stopped reply is the one continued on (the first that did not fail); its "⏵ continue" is not run
        # under the columns, where the conversation would go on unseen.
        assert screen.compare.turn is not None and screen.compare.turn.chosen == 0
        requests = len(fake_server.chat_requests())
        view.lives[0].action_continue_reply()  # what a click on it runs
        await pilot.pause()
        await harness.app.workers.wait_for_complete()
        assert len(fake_server.chat_requests()) == requests and screen.query_one(CompareView) is view

        # Ctrl+R asks again in the conversation, shown again for it (it went on unseen under the columns).
        fake_server.default_reply = text_reply("Again.")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(fake_server.chat_requests()) == requests + 1 and not screen.streaming)
        assert not screen.query(CompareView) and conversation.display
        await wait_until(pilot, lambda: conversation.messages[-1].content == "Again.")

        # A compare right after one whose columns are still shown: the old view goes, the new one comes (the
        # old one's removal finishes after the new one is mounted).
        call = stream_tool_calls([{"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "call_1"}])
        fake_server.default_reply = by_model(
            {"m/one": [text_reply("One."), call], "m/two": text_reply("Two.")}, default=text_reply("Sunny, it says.")
        )
        for question in ("First pair?", "Second pair?"):
            screen.compare.arm(("m/one", "m/two"))
            prompt.text = question
            await pilot.press("enter")
            await wait_until(pilot, lambda: not screen.compare.streaming)
        await wait_until(pilot, lambda: len(screen.query(CompareView)) == 1)
        assert screen.query_one(CompareView).question == "Second pair?"

        # The conversation goes on from the first reply, a tool call: its result is answered from the prompt, and
        # the model's next reply is shown in the conversation, not left unseen under the columns.
        prompt.text = "/tool_result sunny"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not screen.streaming and conversation.messages[-1].content == "Sunny, it says.")
        assert not screen.query(CompareView) and conversation.display
