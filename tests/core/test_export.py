"""Export (lossless JSON, Markdown) and import (toki JSON, ChatGPT's conversations.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from toki_tui.core.errors import HistoryError
from toki_tui.core.pricing import Price
from toki_tui.core.store.export import (
    dumps_json,
    export_document,
    export_json,
    export_markdown,
    import_data,
    import_file,
)
from toki_tui.core.store.history_store import HistoryStore

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "one" / "history.sqlite3") as opened:
        yield opened


def rich_conversation(store: HistoryStore) -> str:
    """Branches, every reply field, every status, tool calls, reasoning, odd text."""
    conversation = store.create_conversation(
        endpoint="toki", model="org/model", system_prompt="Answer in French.", params={"temperature": 0.2, "seed": 3}
    )
    asked = store.add_message(conversation.id, role="user", content="Quelle heure est-il ?\n\x1b[31mred\x1b[0m 🕐")
    first = store.start_reply(conversation.id, parent_id=asked.id, model="org/model", endpoint="toki", params={})
    store.finish_reply(first.id, content="", status="error", error="HTTP 500: the server had a problem")
    second = store.start_reply(
        conversation.id, parent_id=asked.id, model="org/other", endpoint="toki", params={"temperature": 0.2}
    )
    store.finish_reply(
        second.id,
        content="Je vais vérifier.",
        status="complete",
        reasoning="The user wants the time.",
        tool_calls=[{"id": "call_1", "type": "function", "function": {"name": "now", "arguments": "{}"}}],
        finish_reason="tool_calls",
        usage={"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
        ttft=0.125,
        duration=0.75,
        cost_estimate=0.0000128,
        price=Price(0.4, 0.88, "server"),
    )
    store.add_message(conversation.id, role="tool", content='{"time": "12:00"}', tool_call_id="call_1", name="now")
    last = store.start_reply(conversation.id, parent_id=None, model="org/model", endpoint="toki", params={})
    store.finish_reply(last.id, content="Il est midi. ``` fence", status="length", finish_reason="length")
    store.set_current_leaf(conversation.id, second.id)
    store.set_pinned(conversation.id, True)
    return conversation.id


def test_json_export_import_export_is_identical(store: HistoryStore, tmp_path: Path) -> None:
    conversation_id = rich_conversation(store)
    exported = export_json(store, conversation_id)
    file = tmp_path / "export.json"
    file.write_text(exported, encoding="utf-8")
    with HistoryStore(tmp_path / "two" / "history.sqlite3") as other:
        other.create_conversation(endpoint="x", model="y")  # so database ids differ from the first store's
        other.add_message(other.list_conversations()[0].id, role="user", content="unrelated")
        result = import_file(other, file)
        assert result.source == "toki" and [c.id for c in result.imported] == [conversation_id]
        assert export_json(other, conversation_id) == exported
        imported = other.get_conversation(conversation_id)
        assert imported.pinned and imported.message_count == 5
        assert [m.content for m in other.branch(conversation_id)][-1] == "Je vais vérifier."
    document = json.loads(exported)
    assert [m["status"] for m in document["messages"]] == ["complete", "error", "complete", "complete", "length"]
    assert document["messages"][2]["usage"] == {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}
    assert document["messages"][2]["cost_estimate"] == 0.0000128
    assert document["messages"][2]["price"] == {
        "input_per_million": 0.4,
        "output_per_million": 0.88,
        "source": "server",
    }
    assert document["messages"][4]["cost_estimate"] is None and document["messages"][4]["price"] is None


def test_importing_the_same_export_twice_adds_it_once(store: HistoryStore) -> None:
    conversation_id = rich_conversation(store)
    document = export_document(store, conversation_id)
    result = import_data(store, document)
    assert result.imported == [] and [c.id for c in result.skipped] == [conversation_id]
    assert len(store.list_conversations()) == 1


def test_a_reply_exported_while_streaming_imports_as_interrupted(store: HistoryStore, tmp_path: Path) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    asked = store.add_message(conversation.id, role="user", content="hi")
    reply = store.start_reply(conversation.id, parent_id=asked.id, model="m", endpoint="toki", params={})
    store.checkpoint_reply(reply.id, content="partial")
    document = export_document(store, conversation.id)
    with HistoryStore(tmp_path / "other.sqlite3") as other:
        import_data(other, document)
        [_, imported_reply] = other.branch(conversation.id)
        assert (imported_reply.status, imported_reply.content) == ("interrupted", "partial")


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d.update(id="../../etc"), "not a toki conversation id"),
        (lambda d: d["messages"][1].update(parent=42), "not an earlier message"),
        (lambda d: d["messages"][0].update(role="root"), "role 'root'"),
        (lambda d: d["messages"][0].update(created_at="yesterday"), "created_at has the wrong type"),
        (lambda d: d.update(current_message=77), "current_message 77"),
        (lambda d: d["messages"][2].update(cost_estimate=-1), "cost_estimate is not a cost"),
        (lambda d: d["messages"][2].update(cost_estimate="0.1"), "cost_estimate has the wrong type"),
        (lambda d: d["messages"][2]["price"].update(input_per_million="nan"), r"messages\[2\]\.price is not a price"),
    ],
)
def test_a_bad_document_is_refused_with_its_location(store: HistoryStore, mutate, complaint: str) -> None:  # type: ignore[no-untyped-def]
    conversation_id = rich_conversation(store)
    document = export_document(store, conversation_id)
    store.delete_conversation(conversation_id)
    mutate(document)
    with pytest.raises(HistoryError, match=complaint):
        import_data(store, document, "backup.json")
    assert store.list_conversations() == []  # nothing half-imported


def test_not_an_export_at_all(store: HistoryStore, tmp_path: Path) -> None:
    for content, complaint in [("{not json", "is not JSON"), ('{"hello": 1}', "neither a toki export")]:
        file = tmp_path / "input.json"
        file.write_text(content)
        with pytest.raises(HistoryError, match=complaint):
            import_file(store, file)
    with pytest.raises(HistoryError, match="cannot read"):
        import_file(store, tmp_path / "missing.json")


def test_markdown_export_reads_well_and_has_no_control_characters(store: HistoryStore) -> None:
    conversation_id = rich_conversation(store)
    text = export_markdown(store, conversation_id)
    assert text.startswith("# Quelle heure est-il ?\n")
    assert "\x1b" not in text and "[31m" not in text and "red 🕐" in text  # the sequence goes, the text stays
    assert "## System prompt\n\nAnswer in French." in text
    assert "- Parameters: temperature 0.2, seed 3" in text
    assert "## Assistant · org/other · 0.8 s · 9 tokens · ≈$0.000013\n" in text
    assert "<details><summary>Reasoning</summary>\n\nThe user wants the time." in text
    assert '"name": "now"' in text  # tool calls in a JSON fence
    assert "Il est midi" not in text  # another branch: Markdown shows the current one
    assert "HTTP 500" not in text
    tool_answer = store.branch(conversation_id)[-1].id + 1  # stored right after the reply on screen
    answered = export_markdown(store, conversation_id, leaf_id=tool_answer)
    assert "## Tool · result of call_1\n\n*" in answered and '{"time": "12:00"}' in answered


def test_markdown_export_keeps_one_line_values_on_their_line(store: HistoryStore) -> None:
    # A line break in a title, a model id, an endpoint or an error must not forge a heading of the document.
    forged = "x\r\n# Forged heading\n## Forged reply"
    conversation = store.create_conversation(endpoint=forged, model=forged, title=forged)
    question = store.add_message(conversation.id, role="user", content="hi")
    reply = store.start_reply(conversation.id, parent_id=question.id, model=forged, endpoint=forged, params={})
    store.finish_reply(reply.id, content="ok", status="error", error=forged)
    text = export_markdown(store, conversation.id)
    assert not [line for line in text.splitlines() if "Forged" in line and line.startswith("#") and "x" not in line]
    assert text.startswith("# x # Forged heading ## Forged reply\n")
    assert "## Assistant · x # Forged heading ## Forged reply · error\n" in text


def test_json_output_escapes_c1_control_characters() -> None:
    text = dumps_json({"text": "a\x9b31mb\x1bc é"})
    assert "\x9b" not in text and "\x1b" not in text and "é" in text
    assert json.loads(text) == {"text": "a\x9b31mb\x1bc é"}


def test_chatgpt_conversations_json(store: HistoryStore) -> None:
    result = import_file(store, FIXTURES / "chatgpt_conversations.json")
    assert result.source == "chatgpt" and len(result.imported) == 2
    sourdough, haiku = result.imported
    assert (sourdough.title, sourdough.model, sourdough.endpoint) == ("Sourdough starter help", "gpt-4o", "chatgpt")
    assert sourdough.message_count == 6  # root, hidden system prompt and "thoughts" are skipped
    branch = store.branch(sourdough.id)
    assert [(m.role, m.content) for m in branch] == [
        ("user", "My sourdough starter smells like nail polish. Is it dead?"),
        ("assistant", "It is hungry, not dead: feed it 1:1:1 flour and water."),
        ("user", "[image]\nHere is a photo of it."),
        ("tool", "bubbles: 42"),
        ("assistant", "Lots of bubbles: it is very much alive. Bake tomorrow morning."),
    ]
    assert branch[3].name == "python"
    assert (branch[4].status, branch[4].finish_reason, branch[4].model) == ("length", "length", "gpt-4o")
    assert branch[0].created_at == 1717000010.5
    # The regenerated first answer is kept as a sibling.
    assert [m.content[:7] for m in store.siblings(branch[1].id)] == ["Not dea", "It is h"]
    # An untitled ChatGPT conversation takes its title from the first question; archived stays archived.
    assert (haiku.title, haiku.archived, haiku.model) == ("Write a haiku about tea", True, "gpt-4o-mini")
    assert [hit.conversation_id for hit in store.search("sourdough nail")] == [sourdough.id]
    again = import_file(store, FIXTURES / "chatgpt_conversations.json")
    assert again.imported == [] and len(again.skipped) == 2
