"""Model output is untrusted: no terminal escape sequence may take effect and no Rich markup may apply."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from toki_tui.ui.safe_text import StreamSanitizer, safe_text, sanitize

OSC52 = "\x1b]52;c;SGVsbG8gd29ybGQ=\x07"


def test_plain_text_is_returned_unchanged() -> None:
    text = "Hello, wörld! 日本語 `code` [link](http://x)\n\tindented"
    assert sanitize(text) == text


def test_clipboard_write_sequence_is_removed_with_its_payload() -> None:
    assert sanitize(f"before{OSC52}after") == "beforeafter"
    assert sanitize("a\x1b]52;c;SGVsbG8=\x1b\\b") == "ab"  # ST terminator


def test_hyperlink_and_title_sequences_are_removed() -> None:
    link = "\x1b]8;;http://evil.example\x1b\\click me\x1b]8;;\x1b\\"
    assert sanitize(link) == "click me"
    assert sanitize("\x1b]0;new title\x07x") == "x"


def test_csi_sequences_are_removed() -> None:
    assert sanitize("\x1b[2J\x1b[31mred\x1b[0m \x1b[?1049h") == "red "
    assert sanitize("\x9b31mred") == "red"  # 8-bit CSI


def test_stray_controls_become_visible_stand_ins() -> None:
    assert sanitize("bell\x07 back\x08 nul\x00") == "bell␇ back␈ nul␀"
    assert sanitize("lone esc \x1b") == "lone esc ␛"
    assert sanitize("del\x7f c1\x85") == "del␡ c1\ufffd"


def test_line_endings_are_normalised() -> None:
    assert sanitize("a\r\nb\rc\u2028d") == "a\nb\nc\nd"


@given(st.text(alphabet=st.characters(max_codepoint=0x2030)))
def test_no_control_character_survives(text: str) -> None:
    cleaned = sanitize(text)
    assert not any(
        (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029" for ch in cleaned
    )


def test_markup_in_model_text_is_shown_literally() -> None:
    console = Console(width=80, record=True, color_system="truecolor")
    console.print(safe_text("[bold red]x[/] and [link=http://evil]y[/link]"))
    exported = console.export_text()
    assert "[bold red]x[/]" in exported
    assert "[link=http://evil]y[/link]" in exported
    text = safe_text("[bold red]x[/]")
    assert text.spans == []  # no style was applied from the text


def test_stream_sanitizer_holds_back_a_sequence_split_across_pieces() -> None:
    sanitizer = StreamSanitizer()
    pieces = ["hello \x1b]52;c;SGVs", "bG8=", "\x07 world\r", "\nnext"]
    shown = "".join(sanitizer.feed(piece) for piece in pieces) + sanitizer.flush()
    assert shown == "hello  world\nnext"


def test_stream_sanitizer_releases_an_unterminated_sequence_at_the_end() -> None:
    sanitizer = StreamSanitizer()
    shown = sanitizer.feed("text \x1b]52;c;never-ends") + sanitizer.flush()
    assert shown == "text ␛]52;c;never-ends"
