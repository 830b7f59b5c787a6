"""HistoryStore: conversations, the message tree, the reply lifecycle and search (no processes here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from toki_tui.core.errors import HistoryError, TokiError
from toki_tui.core.store.history_store import HistoryStore, StoredMessage


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "data" / "history.sqlite3") as opened:
        yield opened


def exchange(store: HistoryStore, conversation_id: str, question: str, answer: str) -> StoredMessage:
    asked = store.add_message(conversation_id, role="user", content=question)
    reply = store.start_reply(conversation_id, parent_id=asked.id, model="m", endpoint="toki", params={})
    return store.finish_reply(reply.id, content=answer, status="complete")


def test_constructing_does_no_io_and_open_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "history.sqlite3"
    store = HistoryStore(path)
    assert not path.parent.exists()
    report = store.open()
    assert path.is_file() and report.created and report.notices == ()
    assert store.open().created is False  # idempotent
    store.close()


def test_a_conversation_round_trips_its_settings(store: HistoryStore) -> None:
    created = store.create_conversation(
        endpoint="toki", model="org/model", system_prompt="Be brief.", params={"temperature": 0.3, "seed": 7}
    )
    assert len(created.id) == 32 and int(created.id, 16) >= 0
    loaded = store.get_conversation(created.id)
    assert loaded == created
    store.update_conversation_settings(created.id, model="other", params={"top_p": 0.5})
    changed = store.get_conversation(created.id)
    assert (changed.model, changed.params, changed.system_prompt) == ("other", {"top_p": 0.5}, "Be brief.")
    store.update_conversation_settings(created.id, system_prompt=None)
    assert store.get_conversation(created.id).system_prompt is None


def test_the_first_user_message_titles_the_conversation(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    store.add_message(conversation.id, role="system", content="ignored for titles")
    long_line = "How do I " + "really " * 20 + "parse TOML?"
    store.add_message(conversation.id, role="user", content=f"\n  {long_line}\nsecond line")
    title = store.get_conversation(conversation.id).title
    assert title.startswith("How do I really") and title.endswith("…") and len(title) <= 61
    store.add_message(conversation.id, role="user", content="a later question")
    assert store.get_conversation(conversation.id).title == title
    store.rename_conversation(conversation.id, "  My   TOML notes ")
    assert store.get_conversation(conversation.id).title == "My TOML notes"


def test_list_is_pinned_first_then_most_recent_and_hides_archived(store: HistoryStore) -> None:
    ids = []
    for number in range(4):
        conversation = store.create_conversation(endpoint="toki", model="m")
        exchange(store, conversation.id, f"question {number}", "answer")
        ids.append(conversation.id)
    store.set_pinned(ids[0], True)
    store.set_archived(ids[3], True)
    listed = [conversation.id for conversation in store.list_conversations()]
    assert listed == [ids[0], ids[2], ids[1]]
    everything = [conversation.id for conversation in store.list_conversations(include_archived=True)]
    assert everything == [ids[0], ids[3], ids[2], ids[1]]
    assert [c.id for c in store.list_conversations(limit=1, offset=1)] == [ids[2]]
    # "Most recent" ignores pinning (it is what `toki ask -c` continues) and archived conversations.
    recent = store.most_recent_conversation()
    assert recent is not None and recent.id == ids[2]
    assert store.get_conversation(ids[2]).message_count == 2


def test_references_by_prefix_and_last(store: HistoryStore) -> None:
    assert store.most_recent_conversation() is None
    with pytest.raises(HistoryError, match="no conversations"):
        store.resolve_conversation_ref("last")
    made = [store.create_conversation(endpoint="toki", model="m") for _ in range(40)]
    target = made[5].id
    assert store.resolve_conversation_ref(target) == target
    assert store.resolve_conversation_ref(target[:12].upper()) == target
    assert store.resolve_conversation_ref(" last ") == made[-1].id
    # Among 40 random ids, some first hex digit is shared by at least two conversations.
    ambiguous = next(c.id[0] for c in made if sum(other.id[0] == c.id[0] for other in made) > 1)
    with pytest.raises(HistoryError, match="more than one"):
        store.resolve_conversation_ref(ambiguous)
    unused = next(f"{n:06x}" for n in range(1 << 24) if not any(c.id.startswith(f"{n:06x}") for c in made))
    with pytest.raises(HistoryError, match="no conversation id starts with"):
        store.resolve_conversation_ref(unused)
    with pytest.raises(HistoryError, match="not a conversation id"):
        store.resolve_conversation_ref("hello; DROP TABLE")
    assert issubclass(HistoryError, TokiError)


def test_regenerating_makes_a_sibling_and_the_branch_follows_the_leaf(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    first = exchange(store, conversation.id, "q1", "a1")
    second = exchange(store, conversation.id, "q2", "a2")
    question_two = second.parent_id
    assert question_two is not None
    regenerated = store.start_reply(conversation.id, parent_id=question_two, model="m2", endpoint="toki", params={})
    store.finish_reply(regenerated.id, content="a2 again", status="complete")
    assert [m.content for m in store.branch(conversation.id)] == ["q1", "a1", "q2", "a2 again"]
    assert [m.id for m in store.siblings(second.id)] == [second.id, regenerated.id]
    store.set_current_leaf(conversation.id, second.id)
    assert [m.content for m in store.branch(conversation.id)] == ["q1", "a1", "q2", "a2"]
    assert [m.content for m in store.branch(conversation.id, first.id)] == ["q1", "a1"]
    # An edited first question starts a second root; switching to it shows its own, deepest branch.
    edited = store.add_message(conversation.id, role="user", content="q1 edited", parent_id=None)
    store.add_message(conversation.id, role="assistant", content="a1 for the edit")
    assert [m.id for m in store.siblings(edited.id)][-1] == edited.id and len(store.siblings(edited.id)) == 2
    root = store.branch(conversation.id, first.id)[0]
    assert store.deepest_leaf(root.id) == regenerated.id
    assert store.get_conversation(conversation.id).message_count == 7


def test_messages_belong_to_their_conversation(store: HistoryStore) -> None:
    one = store.create_conversation(endpoint="toki", model="m")
    two = store.create_conversation(endpoint="toki", model="m")
    message = store.add_message(one.id, role="user", content="hi")
    with pytest.raises(HistoryError):
        store.add_message(two.id, role="user", content="x", parent_id=message.id)
    with pytest.raises(HistoryError):
        store.set_current_leaf(two.id, message.id)
    with pytest.raises(HistoryError, match="role"):
        store.add_message(one.id, role="wizard", content="x")
    with pytest.raises(HistoryError, match="no conversation"):
        store.add_message("f" * 32, role="user", content="x")


def test_pages_of_a_long_branch(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    for number in range(125):
        exchange(store, conversation.id, f"q{number}", f"a{number}")
    newest, has_older = store.latest_messages(conversation.id, limit=100)
    assert has_older and len(newest) == 100
    assert newest[-1].content == "a124" and newest[0].content == "q75"
    older, still_older = store.older_messages(conversation.id, newest[0].id, limit=100)
    assert still_older and len(older) == 100
    assert older[0].content == "q25" and older[-1].content == "a74"
    oldest, none_older = store.older_messages(conversation.id, older[0].id, limit=100)
    assert not none_older and len(oldest) == 50 and oldest[0].content == "q0"
    everything, more = store.latest_messages(conversation.id, limit=1000)
    assert not more and everything == oldest + older + newest
    assert store.branch(conversation.id) == everything


def test_reply_lifecycle_and_what_it_records(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    asked = store.add_message(conversation.id, role="user", content="tell me a story")
    reply = store.start_reply(conversation.id, parent_id=asked.id, model="m1", endpoint="e1", params={"seed": 1})
    assert (reply.status, reply.content, reply.parent_id) == ("streaming", "", asked.id)
    assert store.get_conversation(conversation.id).current_leaf_id == reply.id
    store.checkpoint_reply(reply.id, content="Once upon", reasoning="thinking", tool_calls=[{"id": "c1"}])
    saved = store.get_message(reply.id)
    assert (saved.status, saved.content, saved.reasoning, saved.tool_calls) == (
        "streaming",
        "Once upon",
        "thinking",
        [{"id": "c1"}],
    )
    # Streaming text is not searchable yet (checkpoints stay cheap); it is once the reply ends.
    assert store.search("upon") == []
    finished = store.finish_reply(
        reply.id,
        content="Once upon a time",
        status="stopped",
        finish_reason=None,
        usage={"prompt_tokens": 5, "completion_tokens": 4},
        ttft=0.25,
        duration=1.5,
        error=None,
    )
    assert (finished.status, finished.usage, finished.ttft, finished.duration) == (
        "stopped",
        {"prompt_tokens": 5, "completion_tokens": 4},
        0.25,
        1.5,
    )
    assert (finished.model, finished.endpoint, finished.params) == ("m1", "e1", {"seed": 1})
    assert [hit.message_id for hit in store.search("upon")] == [reply.id]
    # A checkpoint arriving after the end changes nothing.
    store.checkpoint_reply(reply.id, content="late")
    assert store.get_message(reply.id).content == "Once upon a time"
    with pytest.raises(HistoryError, match="final"):
        store.finish_reply(reply.id, content="x", status="streaming")


def test_search_ranks_and_survives_any_input(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m", title="Kubernetes notes")
    once = store.add_message(conversation.id, role="user", content="a pod mentioned once among many other words")
    twice = store.add_message(conversation.id, role="assistant", content="pod pod: two mentions")
    hits = store.search("pod")
    assert [hit.message_id for hit in hits] == [twice.id, once.id]
    assert "«pod»" in hits[0].snippet and hits[0].title == "Kubernetes notes"
    title_hits = store.search("kubernetes")
    assert [(hit.message_id, hit.snippet) for hit in title_hits] == [(None, "«Kubernetes» notes")]
    # The last word is a prefix ("mentioned", "mentions") unless followed by a space.
    assert {hit.message_id for hit in store.search("mention")} == {once.id, twice.id}
    assert store.search("mention ") == []
    for hostile in ["foo-bar (", '"', "AND", "OR NOT", "title:x", "*", "NEAR(a b)", "a\"b'c", "^", "", "   ", "))"]:
        assert isinstance(store.search(hostile), list)
    # "-" is text, not FTS5's NOT: both words must occur, which only the second message has.
    assert [hit.message_id for hit in store.search("pod -two")] == [twice.id]
    store.add_message(conversation.id, role="user", content="Ünïcode café")
    assert len(store.search("cafe")) == 1  # diacritics folded


def test_deleting_removes_messages_and_their_search_entries(store: HistoryStore) -> None:
    keep = store.create_conversation(endpoint="toki", model="m")
    drop = store.create_conversation(endpoint="toki", model="m", title="zebra")
    exchange(store, keep.id, "giraffe", "long neck")
    exchange(store, drop.id, "zebra stripes", "zebra answer")
    store.delete_conversation(drop.id)
    assert store.search("zebra") == []
    assert [c.id for c in store.list_conversations()] == [keep.id]
    with pytest.raises(HistoryError):
        store.get_conversation(drop.id)
    with pytest.raises(HistoryError):
        store.delete_conversation(drop.id)
    assert {hit.message_id for hit in store.search("giraffe")} == {None, store.branch(keep.id)[0].id}


def test_worker_threads_can_share_the_store(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    errors: list[BaseException] = []

    def add(number: int) -> None:
        try:
            for turn in range(20):
                store.add_message(conversation.id, role="user", content=f"thread {number} turn {turn}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get_conversation(conversation.id).message_count == 80


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    with pytest.raises(HistoryError, match="not open"):
        store.list_conversations()
