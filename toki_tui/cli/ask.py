"""`toki ask`: one question, the reply streamed to stdout, reasoning to stderr, the exchange saved.

It never imports Textual or Rich: it must start fast and work in a pipe.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from toki_tui.cli import silence_stdout
from toki_tui.cli.ask_costs import price_lookup, report_after_reply
from toki_tui.cli.ask_tools import check_tool_flags, run_with_mcp
from toki_tui.cli.common import (
    EXIT_API_ERROR,
    EXIT_USAGE,
    UsageError,
    api_key_for,
    exit_code_for,
    load_settings_and_preset,
    open_store,
    report,
)
from toki_tui.cli.reply_printer import ReplyPrinter
from toki_tui.core.api.client import ChatClient
from toki_tui.core.api.params import ChatParams, ParameterError, check_parameter, check_system_role
from toki_tui.core.attachments import (
    MAX_IMAGE_BYTES,
    STDIN_NAME,
    Attachment,
    AttachmentError,
    attachment_from_bytes,
    read_attachment,
)
from toki_tui.core.config.config_file import parameters_for_endpoint
from toki_tui.core.errors import HistoryError, TokiError
from toki_tui.core.session import ChatSession
from toki_tui.core.text import terminal_json
from toki_tui.core.text_input import decode_lossy, without_surrogates

if TYPE_CHECKING:
    from toki_tui.core.config.presets import Preset
    from toki_tui.core.store.history_store import HistoryStore


def params_from_args(args: argparse.Namespace, defaults: ChatParams) -> ChatParams:
    """The request parameters: the config's defaults, overridden by flags, every value validated."""
    changes: dict[str, Any] = {}
    for name in ("temperature", "top_p", "max_tokens", "frequency_penalty", "presence_penalty"):
        value = getattr(args, name, None)
        if value is not None:
            try:
                changes[name] = check_parameter(name, value)
            except ParameterError as error:
                raise UsageError(f"invalid --{name.replace('_', '-')}: {error}") from None
    if getattr(args, "system_role", None):
        changes["system_role"] = args.system_role
    if args.json:
        changes["json_mode"] = True
    if args.no_stream:
        changes["stream"] = False
    tools = _read_tools(Path(args.tools)) if args.tools else None
    if tools is not None:
        changes["tools"] = tools
    if tools is None and defaults.tools is not None:
        tools = list(defaults.tools)  # the config's tools_file: --tool-choice may name one of them
    if args.tool_choice:
        choice = args.tool_choice
        if tools is None and choice != "none":
            raise UsageError("--tool-choice needs --tools FILE (the tools the model may call)")
        if choice in ("auto", "none", "required"):
            changes["tool_choice"] = choice
        else:
            names = [tool.get("function", {}).get("name") for tool in tools or []]
            if choice not in names:
                raise UsageError(
                    f"--tool-choice {choice!r} is not a function in {args.tools} "
                    f"(it has: {', '.join(str(name) for name in names)}; or use auto, none, required)"
                )
            changes["tool_choice"] = {"type": "function", "function": {"name": choice}}
    try:
        return defaults.replace(**changes)
    except ParameterError as error:
        raise UsageError(str(error)) from None


def _read_tools(path: Path) -> list[dict[str, Any]]:
    try:
        tools = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read the tools file {path}: {error.strerror}") from None
    except ValueError as error:
        raise UsageError(f"the tools file {path} is not valid JSON: {error}") from None
    if not isinstance(tools, list) or not tools or not all(isinstance(tool, dict) for tool in tools):
        raise UsageError(f"the tools file {path} must hold a non-empty JSON array of tool objects")
    return tools


def _read_piped(stdin: TextIO) -> str:
    """All of stdin as text. Bytes that are not UTF-8 become U+FFFD here, before anything is stored: a strict
    decode would fail, and surrogateescape (UTF-8 mode) would hand SQLite text it refuses."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        return decode_lossy(buffer.read())
    return without_surrogates(stdin.read())


def read_attachments(args: argparse.Namespace, stdin: TextIO) -> tuple[Attachment, ...]:
    """The files of every --attach, in order (`-`: all of stdin as one file), each checked before anything is sent.
    Raises UsageError naming the first file toki cannot attach."""
    paths: list[str] = list(getattr(args, "attach", None) or [])
    if paths.count("-") > 1:
        raise UsageError("stdin can be attached only once: give --attach - a single time")
    attachments: list[Attachment] = []
    try:
        for path in paths:
            if path == "-":
                attachments.append(attachment_from_bytes(STDIN_NAME, _read_stdin_bytes(stdin)))
            else:
                attachments.append(read_attachment(Path(path)))
    except AttachmentError as error:
        raise UsageError(str(error)) from None
    return tuple(attachments)


def _read_stdin_bytes(stdin: TextIO) -> bytes:
    """Stdin's bytes, one past the largest attachment at most: enough to refuse a bigger one without holding it."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        data = buffer.read(MAX_IMAGE_BYTES + 1)
        return data if isinstance(data, bytes) else b""
    return stdin.read(MAX_IMAGE_BYTES + 1).encode("utf-8", "surrogateescape")


def read_prompt(args: argparse.Namespace, stdin: TextIO, *, attached: bool = False) -> str:
    """Piped stdin first (unless it is attached), then the PROMPT words; at least one must be there, unless files
    are attached (they are then the whole question)."""
    parts: list[str] = []
    stdin_attached = "-" in (getattr(args, "attach", None) or [])
    if not stdin_attached and not stdin.isatty():
        piped = _read_piped(stdin)
        if piped.strip():
            parts.append(piped.rstrip("\n"))
    words = without_surrogates(" ".join(args.prompt))  # argv's non-UTF-8 bytes arrive as surrogates
    if words.strip():
        parts.append(words)
    if not parts and not attached:
        raise UsageError("nothing to ask: give a PROMPT or pipe text into toki ask")
    return "\n\n".join(parts)


def _print_tool_calls(calls: list[dict[str, Any]], out: TextIO) -> None:
    # Tool calls are data for the caller's script: one JSON document on stdout, on lines of its own.
    out.write(terminal_json({"tool_calls": calls}) + "\n")


async def _stream(
    session: ChatSession, prompt: str, printer: ReplyPrinter, attachments: tuple[Attachment, ...] = ()
) -> None:
    try:
        # aclosing: when printing fails (the reader of a pipe went away), the reply is closed and recorded now.
        async with contextlib.aclosing(session.send_batches(prompt, attachments)) as batches:
            try:
                async for batch in batches:
                    printer.handle_batch(batch)
            finally:
                printer.finish()
    finally:
        await session.client.aclose()


def _choose_conversation(args: argparse.Namespace, store: HistoryStore | None) -> str | None:
    if args.conversation is not None and not args.conversation.strip():
        raise UsageError("--conversation needs an id (a unique prefix is enough, or 'last')")
    if args.continue_last and args.conversation is not None:
        raise UsageError("use either -c/--continue or --conversation ID, not both")
    if store is None:
        if args.continue_last or args.conversation:
            raise UsageError("--no-save cannot be combined with --continue or --conversation")
        return None
    if args.conversation:
        try:
            return store.resolve_conversation_ref(args.conversation)
        except HistoryError as error:
            raise UsageError(str(error)) from None
    if args.continue_last:
        recent = store.most_recent_conversation()
        if recent is None:
            raise UsageError("there is no conversation to continue yet")
        return recent.id
    return None


def _open_store_or_warn(args: argparse.Namespace) -> HistoryStore | None:
    """The history, or None with a warning when it cannot be used: the question still gets its answer."""
    try:
        store = open_store()
        store.list_conversations(limit=1)  # touches the file's tables: a damaged file fails here, not mid-reply
        return store
    except HistoryError as error:
        if args.continue_last or args.conversation:
            raise
        report(f"{error}; this reply will not be saved")
        return None


def _warn_if_still_arriving(store: HistoryStore, conversation_id: str) -> None:
    """A reply another toki (the chat) is still receiving is continued from the part stored so far: say so."""
    branch = store.branch(conversation_id)
    if branch and branch[-1].role == "assistant" and branch[-1].status == "streaming":
        report(
            "the last reply of this conversation is still arriving in another toki; this question follows the part "
            "of it received so far (wait for it to finish to continue after all of it)"
        )


def _with_stored_role(
    params: ChatParams, stored: dict[str, Any], args: argparse.Namespace, preset: Preset | None
) -> ChatParams:
    """A continued conversation's system prompt goes as the role the conversation keeps (`/role developer` in the
    chat, or the `--system-role` it was started with), unless `--system-role` or the preset names one."""
    if getattr(args, "system_role", None) or (preset is not None and preset.system_role is not None):
        return params
    try:
        role = check_system_role(stored.get("system_role", params.system_role))
    except ParameterError:
        return params  # settings saved by another version that this one refuses: the endpoint's role
    return params.replace(system_role=role)


def _report_unsaved(session: ChatSession) -> None:
    if session.save_problem is not None:
        report(f"{session.save_problem}; this reply was not saved")


def run_ask(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin = stdin if stdin is not None else sys.stdin
    out = out if out is not None else sys.stdout
    err = sys.stderr
    store: HistoryStore | None = None
    for name in ("system", "model"):  # stored with the conversation: no surrogates from argv's bad bytes
        if isinstance(getattr(args, name, None), str):
            setattr(args, name, without_surrogates(getattr(args, name)))
    try:
        check_tool_flags(args)
        config, resolved, preset = load_settings_and_preset(args)
        defaults = parameters_for_endpoint(config, resolved.name)
        params = params_from_args(args, preset.params_over(defaults) if preset is not None else defaults)
        api_key = api_key_for(resolved)
        attachments = read_attachments(args, stdin)
        prompt = read_prompt(args, stdin, attached=bool(attachments))
        store = None if args.no_save else _open_store_or_warn(args)
        conversation_id = _choose_conversation(args, store)
        system_prompt = args.system if args.system is not None else config.system_prompt
        model = resolved.model
        if conversation_id is not None and store is not None:
            _warn_if_still_arriving(store, conversation_id)
            conversation = store.get_conversation(conversation_id)
            if args.system is None:
                system_prompt = conversation.system_prompt
            if getattr(args, "model", None) is None and conversation.model:
                model = conversation.model
            params = _with_stored_role(params, conversation.params, args, preset)
        client = ChatClient(
            base_url=resolved.base_url,
            api_key=api_key,
            timeouts=config.timeouts,
            one_shot=True,
            key_source=resolved.key_source,
        )
        session = ChatSession(
            client=client,
            store=store,
            endpoint_name=resolved.name,
            model=model,
            params=params,
            system_prompt=system_prompt,
            conversation_id=conversation_id,
            price_of=price_lookup(config, resolved.name),
        )
        if getattr(args, "compare", None) is not None:  # imported only then: the prices stay out of `toki ask`
            from toki_tui.cli.ask_compare import ask_compare

            return ask_compare(args, config, session, prompt, attachments, out)
        printer = ReplyPrinter(out, err)
        try:
            if args.mcp:
                run_with_mcp(config, session, prompt, printer, attachments, run_calls=args.yes)
            else:
                asyncio.run(_stream(session, prompt, printer, attachments))
        except UsageError:
            raise  # found once started (--mcp without MCP servers): exit 2, as before the start; nothing was sent
        except TokiError as error:
            printer.end_line()
            report(_error_line(error))
            _report_unsaved(session)
            return EXIT_API_ERROR
        except BrokenPipeError:
            silence_stdout()
            return 0
        _report_unsaved(session)
        reply = session.reply
        if reply is not None:
            if reply.tool_calls:
                if printer.printed_content and not printer.ends_with_newline:
                    out.write("\n")
                _print_tool_calls(reply.tool_calls, out)
            if reply.finish_reason == "length":
                report("the reply was cut off at the token limit (--max-tokens)")
            elif session.reply_note:
                report(session.reply_note)
            elif reply.finish_reason == "content_filter":
                report("the reply was stopped by the provider's content filter")
        report_after_reply(args, session, config)
        # A reply the server itself ended as failed (finish_reason "error", DeepSeek's out-of-resources) is an
        # API error, as a failure reported mid-stream is.
        run = session.last_run
        return EXIT_API_ERROR if run is not None and run.reply_status == "error" else 0
    except TokiError as error:
        report(str(error))
        return exit_code_for(error)
    except BrokenPipeError:
        silence_stdout()
        return 0
    finally:
        if store is not None:
            store.close()


def _error_line(error: TokiError) -> str:
    """The error, and how long the server asked to wait when it said (a Retry-After too long to wait for is not
    waited for: docs/protocol.md §5.3), as the TUI's status line says it."""
    from toki_tui.core.errors import APIStatusError

    if isinstance(error, APIStatusError) and error.retry_after is not None and error.retry_after >= 1:
        return f"{error} (the server asks to wait {error.retry_after:.0f} s)"
    return str(error)


__all__ = ["EXIT_USAGE", "ReplyPrinter", "params_from_args", "read_prompt", "run_ask"]
