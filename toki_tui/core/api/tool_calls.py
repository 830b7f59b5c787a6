"""Route streamed tool-call fragments to the call they belong to (docs/protocol.md §2.4, §6.16).

OpenAI sends `index` on every fragment and `id`/`name` on the first. Real servers deviate: Gemini and some
proxies omit `index`, some send `index: null`, and Ollama-compatible servers reuse index 0 for every parallel
call, telling them apart only by `id`. The router gives each call a stable slot of its own.
"""

from __future__ import annotations

import json
from typing import Any

from toki_tui.core.api.events import ToolCallDelta


class ToolCallRouter:
    """One per choice. `route()` turns a raw `delta.tool_calls[]` entry into a ToolCallDelta with its slot."""

    __slots__ = ("_ids", "_last_slot", "_slot_of_index")

    def __init__(self) -> None:
        self._slot_of_index: dict[int, int] = {}
        self._ids: list[str | None] = []  # the id of each slot, by slot number
        self._last_slot: int | None = None

    def _new_slot(self, call_id: str | None) -> int:
        self._ids.append(call_id)
        return len(self._ids) - 1

    def _slot_for(self, raw_index: object, call_id: str | None) -> int:
        if isinstance(raw_index, int) and not isinstance(raw_index, bool):
            slot = self._slot_of_index.get(raw_index)
            if slot is None or (call_id and self._ids[slot] and self._ids[slot] != call_id):
                # A new index, or an index reused with a different id: a new call.
                slot = self._new_slot(call_id)
                self._slot_of_index[raw_index] = slot
            elif call_id and not self._ids[slot]:
                self._ids[slot] = call_id
            return slot
        # No usable index: match by id, else continue the call in progress, else open one.
        if call_id:
            if call_id in self._ids:
                return self._ids.index(call_id)
            return self._new_slot(call_id)
        if self._last_slot is not None:
            return self._last_slot
        return self._new_slot(None)

    def route(self, entry: dict[str, Any], choice_index: int) -> ToolCallDelta:
        call_id = entry.get("id") if isinstance(entry.get("id"), str) else None
        slot = self._slot_for(entry.get("index"), call_id)
        self._last_slot = slot
        function = entry.get("function")
        name: str | None = None
        arguments = ""
        if isinstance(function, dict):
            raw_name = function.get("name")
            name = raw_name if isinstance(raw_name, str) and raw_name else None
            raw_arguments = function.get("arguments")
            if isinstance(raw_arguments, str):
                arguments = raw_arguments
            elif raw_arguments is not None:
                # Some servers send the arguments as an object rather than a JSON string.
                arguments = json.dumps(raw_arguments)
        call_type = entry.get("type") if isinstance(entry.get("type"), str) else None
        return ToolCallDelta(
            tool_index=slot,
            id=call_id,
            name=name,
            arguments=arguments,
            type=call_type,
            choice_index=choice_index,
        )
