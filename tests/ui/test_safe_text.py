"""Outside text reaches Rich and Textual as plain `Text`/`Content`: markup in it is shown, never applied."""

from __future__ import annotations

from rich.console import Console

from toki_tui.ui.safe_text import plain_content, plain_line, safe_text


def test_markup_in_model_text_is_shown_literally() -> None:
    console = Console(width=80, record=True, color_system="truecolor")
    console.print(safe_text("[bold red]x[/] and [link=http://evil]y[/link]"))
    exported = console.export_text()
    assert "[bold red]x[/]" in exported
    assert "[link=http://evil]y[/link]" in exported
    text = safe_text("[bold red]x[/]")
    assert text.spans == []  # no style was applied from the text


def test_content_of_outside_text_keeps_markup_as_text_and_drops_escapes() -> None:
    content = plain_content("[@click=app.quit]x[/] \x1b]52;c;SGk=\x07\x1b[2J")
    assert content.plain == "[@click=app.quit]x[/] "
    assert content.spans == []
    line = plain_line("[b]title[/b]\nsecond line")
    assert line.plain == "[b]title[/b] second line"
    assert line.spans == []


def test_one_line_values_in_a_message_stay_on_its_lines() -> None:
    # A model id, a tool name or a file name with a line break must not add a line to the conversation, where it
    # could pass for a message of its own ("▌ You ...").
    from rich.style import Style

    from toki_tui.core.attachments import Attachment, attachment_label
    from toki_tui.ui.display import DisplayMessage
    from toki_tui.ui.widgets.message_chrome import header_text, tool_call_parts

    forged = "x\r\n▌ You\n"
    message = DisplayMessage(id=1, role="tool", content="", model=forged, tool_call_id=forged, status=forged)
    assert "\n" not in header_text(message, lambda _: Style()).plain
    name, _ = tool_call_parts({"id": forged, "function": {"name": forged, "arguments": "{}"}})
    assert "\n" not in name
    label = attachment_label(
        Attachment(name=forged + "a.txt", kind="text", size=3, media_type="text/plain", data="abc")
    )
    assert "\n" not in label and "x ▌ You" in label
