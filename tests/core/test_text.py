"""Outside text is displayed, never interpreted: no terminal escape or control takes effect, nothing is hidden."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from toki_tui.core.text import BIDI_CONTROLS, StreamSanitizer, displayable, displayable_line

OSC52 = "\x1b]52;c;SGVsbG8gd29ybGQ=\x07"


def test_plain_text_is_returned_unchanged() -> None:
    text = "Hello, wörld! 日本語 `code` [link](http://x)\n\tindented"
    assert displayable(text) == text


def test_clipboard_write_sequence_is_removed_with_its_payload() -> None:
    assert displayable(f"before{OSC52}after") == "beforeafter"
    assert displayable("a\x1b]52;c;SGVsbG8=\x1b\\b") == "ab"  # ST terminator


def test_hyperlink_and_title_sequences_are_removed() -> None:
    link = "\x1b]8;;http://evil.example\x1b\\click me\x1b]8;;\x1b\\"
    assert displayable(link) == "click me"
    assert displayable("\x1b]0;new title\x07x") == "x"


def test_csi_sequences_are_removed() -> None:
    assert displayable("\x1b[2J\x1b[31mred\x1b[0m \x1b[?1049h") == "red "
    assert displayable("\x9b31mred") == "red"  # 8-bit CSI


def test_stray_controls_become_visible_stand_ins() -> None:
    assert displayable("bell\x07 back\x08 nul\x00") == "bell␇ back␈ nul␀"
    assert displayable("lone esc \x1b") == "lone esc ␛"
    assert displayable("del\x7f c1\x85") == "del␡ c1\ufffd"


def test_line_endings_are_normalised() -> None:
    assert displayable("a\r\nb\rc\u2028d") == "a\nb\nc\nd"


@given(st.text(alphabet=st.characters(max_codepoint=0xE000)))
def test_no_control_character_survives(text: str) -> None:
    cleaned = displayable(text)
    assert not any(
        (ord(ch) < 0x20 and ch not in "\n\t")
        or 0x7F <= ord(ch) <= 0x9F
        or ch in "\u2028\u2029"
        or ch in BIDI_CONTROLS
        or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in cleaned
    )


def test_stream_sanitizer_holds_back_a_sequence_split_across_pieces() -> None:
    sanitizer = StreamSanitizer()
    pieces = ["hello \x1b]52;c;SGVs", "bG8=", "\x07 world\r", "\nnext"]
    shown = "".join(sanitizer.feed(piece) for piece in pieces) + sanitizer.flush()
    assert shown == "hello  world\nnext"


def test_stream_sanitizer_releases_an_unterminated_sequence_at_the_end() -> None:
    sanitizer = StreamSanitizer()
    shown = sanitizer.feed("text \x1b]52;c;never-ends") + sanitizer.flush()
    assert shown == "text ␛]52;c;never-ends"


def test_bidi_overrides_and_isolates_are_shown_as_replacement_characters() -> None:
    # "Trojan Source": an override makes the text read in another order than it is stored in.
    assert displayable("abc\u202eevil\u202c def") == "abc\ufffdevil\ufffd def"
    assert displayable("\u2066x\u2069") == "\ufffdx\ufffd"
    # Marks that only hint a direction (RLM, LRM) are ordinary text in right-to-left languages and stay.
    assert displayable("שלום\u200f!") == "שלום\u200f!"


def test_lone_surrogates_from_undecodable_bytes_become_replacement_characters() -> None:
    undecodable = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert displayable(undecodable) == "caf\ufffd"
    displayable(undecodable).encode("utf-8")  # a terminal's encoder can write it


def test_one_line_values_lose_their_line_breaks_and_are_cut_to_a_sane_length() -> None:
    assert displayable_line("a title\nwith\ttwo lines") == "a title with two lines"
    long = displayable_line("x" * 10_000)
    assert len(long) == 300 and long.endswith("…")
    assert displayable_line("abc", limit=2) == "a…"


def test_lone_surrogate_escapes_in_server_json_become_replacement_characters() -> None:
    from toki_tui.core.api.json_limits import loads

    assert loads(r'{"a\ud800": ["x\ud800y", {"k": "\ud83d\ude00"}]}') == {"a\ufffd": ["x\ufffdy", {"k": "😀"}]}
    assert loads(rb'"\udc00"') == "\ufffd"
    assert loads(r'"\\ud800 is text"') == "\\ud800 is text"  # an escaped backslash, not an escape


def test_invisible_characters_become_visible_but_joiners_stay() -> None:
    # Zero-width space, word joiner, invisible operators, a BOM inside text and Unicode "tag" characters are not
    # drawn: they hide text (a spoofed model id, an instruction smuggled in tags) from the reader.
    smuggled = "".join(chr(0xE0000 + ord(c)) for c in "rm -rf")
    assert displayable("gpt\u200b-4\u2060x\u2062y\ufeffz\u180e") == "gpt\ufffd-4\ufffdx\ufffdy\ufffdz\ufffd"
    assert displayable(f"ok{smuggled}") == "ok" + "\ufffd" * 6
    # Joiners shape emoji and scripts (Persian, Indic) and stay between such characters; anywhere else they only
    # hide (two model ids that look alike) or make a terminal and Rich disagree on a line's width.
    assert displayable("👩\u200d💻 می\u200cخواهم") == "👩\u200d💻 می\u200cخواهم"
    assert displayable("gpt\u200d-4 x\u200c \u200d👩 👩\u200d \u200b\u200d\ufeff") == (
        "gpt\ufffd-4 x\ufffd \ufffd👩 👩\ufffd \ufffd\ufffd\ufffd"
    )


def test_a_joiner_split_from_its_next_character_by_a_stream_piece_waits_for_it() -> None:
    sanitizer = StreamSanitizer()
    assert sanitizer.feed("a 👩\u200d") == "a "
    assert sanitizer.feed("💻 b\u200d") + sanitizer.flush() == "👩\u200d💻 b\ufffd"
    assert sanitizer.feed("\u200d") + sanitizer.flush() == "\ufffd"


def test_json_for_a_terminal_escapes_what_a_terminal_would_act_on_and_round_trips() -> None:
    import json

    from toki_tui.core.text import terminal_json

    value = {"name": "a\x1b[2J\x9b31m\x7f\u202eevil\u2066\u2028\u200b\ud800\U000e0041 a\u200db é 日 👩\u200d💻", "n": 1}
    text = terminal_json(value, indent=2)
    assert displayable(text) == text, "nothing in the JSON needs work to be displayed"
    assert json.loads(text) == value, "the escapes keep it lossless"
    assert "é 日 👩\u200d💻" in text, "readable text stays readable"
    text.encode("utf-8")  # no lone surrogate: a terminal's encoder can write it


def test_exact_visible_shows_every_control_and_removes_nothing() -> None:
    from toki_tui.core.text import exact_visible

    assert exact_visible("plain text") == "plain text"
    assert exact_visible("a\x1b]0;; rm -rf ~\x07b\r\nc\x9d1\x9c") == "a␛]0;; rm -rf ~␇b␍\nc\ufffd1\ufffd"
    assert displayable(exact_visible("x\x1b[2J\u202e\u200d")) == exact_visible("x\x1b[2J\u202e\u200d")


_STREAM_ATOMS = ["a", " ", "\n", "\r\n", "\x1b[0m", "\x1b]0;t\x07", "\u200d", "\u200c", "👩", "💻", "ی", "\u200b"]


@given(st.lists(st.lists(st.sampled_from(_STREAM_ATOMS), max_size=6).map("".join), max_size=8))
def test_a_stream_in_pieces_is_shown_as_the_whole_text_would_be(pieces: list[str]) -> None:
    # Joiners decide by both neighbours, which may come in different pieces (as may a CRLF).
    sanitizer = StreamSanitizer()
    shown = "".join(sanitizer.feed(piece) for piece in pieces) + sanitizer.flush()
    assert shown == displayable("".join(pieces))
