"""Which of a conversation's messages have a widget: the bookkeeping of ConversationView's mounted window.

Every message the view was given has a slot, oldest first; the slots `lo` to `hi` (a contiguous run) have their
MessageView, mounted in the view in that order. This class only decides and records which views exist; the view
mounts and removes them (and keeps the user's place while it does). A slot keeps its message's latest state when
its view goes, so mounting it again shows the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toki_tui.ui.display import DisplayMessage
    from toki_tui.ui.widgets.message_view import MessageView


@dataclass
class Slot:
    """A message known to the view, and its widget while mounted."""

    stored: DisplayMessage
    view: MessageView | None = None

    @property
    def message(self) -> DisplayMessage:
        return self.view.message if self.view is not None else self.stored

    def make_view(self) -> MessageView:
        # Imported where a message is first shown: an empty new conversation draws its first frame without the
        # Markdown renderer behind it (cold start).
        from toki_tui.ui.widgets.message_view import MessageView

        self.view = MessageView(self.stored)
        return self.view

    def drop_view(self) -> MessageView | None:
        view, self.view = self.view, None
        if view is not None:
            self.stored = view.message
        return view


class ConversationWindow:
    """The slots of one conversation and the run of them that is mounted."""

    def __init__(self) -> None:
        self.slots: list[Slot] = []
        self.lo = 0  # slots[lo:hi] are mounted, in order
        self.hi = 0

    @property
    def messages(self) -> list[DisplayMessage]:
        return [slot.message for slot in self.slots]

    @property
    def mounted_count(self) -> int:
        return self.hi - self.lo

    @property
    def bottom_mounted(self) -> bool:
        """Whether the newest message is in the window."""
        return self.hi == len(self.slots)

    def mounted_views(self) -> list[MessageView]:
        return [slot.view for slot in self.slots[self.lo : self.hi] if slot.view is not None]

    def view_at(self, index: int) -> MessageView | None:
        """The view of the slot at `index` if that slot is mounted."""
        return self.slots[index].view if self.lo <= index < self.hi else None

    def index_of(self, message_id: int) -> int | None:
        return next((i for i, slot in enumerate(self.slots) if slot.message.id == message_id), None)

    def replace(self, messages: Sequence[DisplayMessage], *, mounted: int) -> list[MessageView]:
        """Forget everything; the newest `mounted` of `messages` get views (returned, to mount in order)."""
        self.slots = [Slot(message) for message in messages]
        self.hi = len(self.slots)
        self.lo = max(0, self.hi - mounted)
        return [slot.make_view() for slot in self.slots[self.lo : self.hi]]

    def recentre(self, index: int, *, before: int, after: int) -> list[MessageView]:
        """A window from `before` slots above `index` to `after` below it: every old view dropped, the new ones
        returned (to mount in their place)."""
        self.lo = max(0, index - before)
        self.hi = min(len(self.slots), index + after)
        for slot in self.slots:
            slot.drop_view()  # keeps each mounted message's latest state in its slot
        return [slot.make_view() for slot in self.slots[self.lo : self.hi]]

    def prepend(self, messages: Sequence[DisplayMessage]) -> None:
        """Messages older than all known ones, not mounted."""
        self.slots[0:0] = [Slot(message) for message in messages]
        self.lo += len(messages)
        self.hi += len(messages)

    def append(self, message: DisplayMessage, view: MessageView | None = None) -> MessageView | None:
        """A message at the end; its view (made now unless given) when the end is mounted, else None."""
        bottom_mounted = self.bottom_mounted
        slot = Slot(message, view)
        self.slots.append(slot)
        if not bottom_mounted:
            slot.view = None
            return None
        self.hi += 1
        return view if view is not None else slot.make_view()

    def mark_saved(self, message: DisplayMessage, message_id: int) -> None:
        """Give `message` (this very object, shown before it was stored) its store id, in its view if it has one."""
        for slot in reversed(self.slots):
            if slot.message is message:
                if slot.view is not None:
                    slot.view.saved_as(message_id)
                else:
                    slot.stored = dataclasses.replace(slot.stored, id=message_id)
                return

    def grow_above(self, count: int) -> tuple[list[MessageView], MessageView | None]:
        """Up to `count` older slots get views: those (to mount in order) and the view they go above (None when
        nothing was mounted)."""
        start = max(0, self.lo - count)
        first = self.view_at(self.lo)
        views = [slot.make_view() for slot in self.slots[start : self.lo]]
        self.lo = start
        return views, first

    def grow_below(self, count: int) -> list[MessageView]:
        """Up to `count` newer slots get views (to mount at the end)."""
        end = min(len(self.slots), self.hi + count)
        views = [slot.make_view() for slot in self.slots[self.hi : end]]
        self.hi = end
        return views

    def drop_oldest(self, count: int) -> list[MessageView]:
        """The `count` oldest views leave the window (returned, to remove)."""
        removed = [view for slot in self.slots[self.lo : self.lo + count] if (view := slot.drop_view())]
        self.lo += count
        return removed

    def drop_newest(self, count: int, *, keep: MessageView | None) -> list[MessageView]:
        """Up to `count` newest views leave the window (returned, to remove), stopping at `keep`."""
        removed: list[MessageView] = []
        for slot in reversed(self.slots[self.hi - count : self.hi]):
            if keep is not None and slot.view is keep:
                break
            view = slot.drop_view()
            if view is not None:
                removed.append(view)
            self.hi -= 1
        return removed
