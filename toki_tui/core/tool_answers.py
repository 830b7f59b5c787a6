"""Tool calls and their answers in the messages sent: the rule strict servers enforce, and the calls still open.

A strict server (OpenAI's among them) rejects a request where an assistant message with `tool_calls` is not
followed by one `tool` message per call id. A user who moves on without answering a call leaves such a history, so
every request is mended as it is built: each unanswered call gets NO_RESULT_TEXT as its result, placed after the
tool messages that did answer. The placeholder is added to the request only, never stored: the history keeps what
really happened (no result was given), and a history written before this rule, or by another client, is mended
the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from toki_tui.core.api.params import ChatMessage, ChatParams
from toki_tui.core.errors import APIError

NO_RESULT_TEXT = "No result was given for this call."
"""The result sent for a call the user did not answer."""


def call_ids(tool_calls: Iterable[dict[str, Any]] | None) -> list[str]:
    """The ids of the calls, in order (a call without a string id cannot be answered and is left out)."""
    return [call["id"] for call in tool_calls or () if isinstance(call.get("id"), str)]


def answer_open_calls(messages: list[ChatMessage]) -> list[ChatMessage]:
    """`messages` with a NO_RESULT_TEXT tool message for each call left unanswered before the next non-tool
    message. Calls in the last message stay open (the request ends with them: a continuation of that reply)."""
    mended: list[ChatMessage] = []
    open_ids: list[str] = []
    for message in messages:
        if message.role == "tool":
            if message.tool_call_id in open_ids:
                open_ids.remove(message.tool_call_id)
            mended.append(message)
            continue
        mended.extend(_no_results(open_ids))
        open_ids = call_ids(message.tool_calls) if message.role == "assistant" else []
        mended.append(message)
    if open_ids and (not messages or messages[-1].role == "tool"):
        mended.extend(_no_results(open_ids))
    return mended


def _no_results(ids: list[str]) -> list[ChatMessage]:
    return [ChatMessage("tool", NO_RESULT_TEXT, tool_call_id=call_id) for call_id in ids]


def open_call_ids(messages: Iterable[Any]) -> list[str]:
    """The calls of the branch's last reply with tool calls that no later tool message answered, if only tool
    messages follow it (a user message after it closes them): the calls `/tool_result` can answer."""
    open_ids: list[str] = []
    for message in messages:
        if message.role == "tool":
            if message.tool_call_id in open_ids:
                open_ids.remove(message.tool_call_id)
        elif message.role == "assistant" and message.tool_calls:
            open_ids = call_ids(message.tool_calls)
        else:
            open_ids = []
    return open_ids


def pick_open_call(open_ids: list[str], call_id: str | None) -> str:
    """The call a result answers: `call_id` if it is open, else the only open call; APIError saying what to do."""
    if not open_ids:
        raise APIError("there is no open tool call to answer (the last reply called no tool, or all have results)")
    if call_id is None:
        if len(open_ids) > 1:
            raise APIError(f"several tool calls are open ({', '.join(open_ids)}): give the id of the one answered")
        return open_ids[0]
    if call_id not in open_ids:
        raise APIError(f"{call_id!r} is not an open tool call (open: {', '.join(open_ids)})")
    return call_id


def split_result(argument: str, open_ids: list[str]) -> tuple[str | None, str]:
    """`/tool_result [ID] TEXT`: (ID, TEXT) when the first word is an open call's id and text follows, else
    (None, the whole argument): a result may well start with a word of its own."""
    first, _, rest = argument.strip().partition(" ")
    if first in open_ids and rest.strip():
        return first, rest.strip()
    return None, argument.strip()


def choice_after_results(params: ChatParams, messages: Sequence[ChatMessage]) -> ChatParams:
    """The parameters for a request that ends with tool results: a forced `tool_choice` ("required", or a named
    tool) becomes "auto". It forces the request that asks; kept for the request carrying the answers, it leaves the
    model no way to answer but another call, round after round (`toki ask --mcp --yes` to its 20th; in the chat,
    until the user changes it). A new question is forced again."""
    forced = params.tool_choice == "required" or isinstance(params.tool_choice, dict)
    if forced and messages and messages[-1].role == "tool":
        return params.replace(tool_choice="auto")
    return params
