"""Search snippets made in Python from a bounded window (FTS5's snippet() is quadratic in the message size)."""

from __future__ import annotations

from toki_tui.core.store.history_store import HistoryStore
from toki_tui.core.store.snippet import SNIPPET_MAX_CHARS, SNIPPET_WORDS, make_snippet, query_words


def test_marks_the_words_around_the_first_match() -> None:
    text = "Lorem ipsum dolor sit amet. The database was locked all day and nobody knew why it stayed locked."
    snippet = make_snippet(text, query_words("database locked", prefix_last=False))
    assert snippet.startswith("…")
    assert "«database» was «locked» all day" in snippet
    assert len(snippet.strip("…").split()) == SNIPPET_WORDS


def test_case_diacritics_prefix_and_token_boundaries_follow_the_tokenizer() -> None:
    assert "«Café»" in make_snippet("We met at the Café again", query_words("cafe", prefix_last=False))
    assert "«Kubern»etes" in make_snippet("run it on Kubernetes", query_words("kubern", prefix_last=True))
    # Inside a longer token is not a match: "ab" is neither in "xab" nor "abx" as a whole word.
    assert make_snippet("xab abx ab", query_words("ab", prefix_last=False)) == "xab abx «ab»"


def test_a_match_deep_in_a_huge_message_gives_a_short_snippet_around_it() -> None:
    text = "filler " * 300_000 + "the needle is here " + "more " * 1000
    snippet = make_snippet(text, query_words("needle", prefix_last=False))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "the «needle» is here" in snippet
    assert len(snippet) <= SNIPPET_MAX_CHARS + 4  # ellipses and marks


def test_one_giant_token_is_cut_to_the_maximum_length() -> None:
    snippet = make_snippet("a" * 50_000 + " needle " + "b" * 50_000, query_words("needle", prefix_last=False))
    assert "«needle»" in snippet and len(snippet) <= SNIPPET_MAX_CHARS + 4  # ellipses and marks


def test_no_visible_match_shows_the_start_of_the_message() -> None:
    assert make_snippet("nothing here to see", query_words("zzz", prefix_last=False)) == "nothing here to see"


def test_store_search_snippets_a_multi_megabyte_message(store: HistoryStore) -> None:
    conversation = store.create_conversation(endpoint="toki", model="m")
    log = "INFO all good\n" * 150_000 + "ERROR database locked at the end\n"
    store.add_message(conversation.id, role="user", content=log)
    (hit,) = store.search("database locked")
    assert "«database» «locked» at the end" in hit.snippet
    assert "\n" not in hit.snippet
