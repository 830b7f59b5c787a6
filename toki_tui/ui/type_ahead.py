"""Type-ahead: keys and pastes that arrive before anything has the focus, kept and replayed once a field has it.

Textual starts reading the terminal before the chat screen has mounted and focused its prompt; a key read then
goes to a screen with nothing focused and is dropped. A fast typist's `toki⏎hello` lost its `hello` (what was
typed while toki imported, the terminal hands over as soon as Textual reads it). The app holds those events until
the first focus (TokiApp.on_descendant_focus: the prompt, or the API-key dialog's field) and posts them again, in
order, to the screen now ready for them.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.message import Message

HELD_LIMIT = 4096
"""Events kept at most: a paste of a large file before the first frame is one event; a runaway input is not kept
whole."""


class TypeAhead:
    def __init__(self) -> None:
        self._held: list[events.Key | events.Paste] | None = []  # None once released: events pass straight on

    def hold(self, event: events.Event) -> bool:
        """Keep `event` if it is typed input arriving before the release; True when it was kept."""
        if self._held is None or event.is_forwarded or not isinstance(event, events.Key | events.Paste):
            return False
        if len(self._held) < HELD_LIMIT:
            self._held.append(event)
        return True

    def release(self, post: Callable[[Message], object]) -> None:
        """From now on events pass; the ones kept are posted again, as new events, in the order they came."""
        held, self._held = self._held, None
        for event in held or ():
            post(
                events.Paste(event.text) if isinstance(event, events.Paste) else events.Key(event.key, event.character)
            )
