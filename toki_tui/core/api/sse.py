"""A byte-level decoder for `text/event-stream` bodies (server-sent events), following the WHATWG rules.

Feed it the raw bytes from `httpx.Response.aiter_bytes()`, split however the network split them; it returns
each event once its terminating blank line has arrived. It is pure: no I/O, no JSON, no `[DONE]` handling
(that is the client's job).

Why bytes and not `aiter_lines()`: httpx splits lines like `str.splitlines`, i.e. also on U+2028, U+2029 and
U+0085, which legitimately occur raw inside JSON strings. Here only CR, LF and CRLF end a line, and UTF-8 is
decoded only on complete lines, so a character split across two network chunks comes out intact.

Deliberate choices where the WHATWG text leaves room or where we depart from it:
- An event whose data is empty is not dispatched. WHATWG fires an empty message for `data:` followed by a
  blank line; for a JSON stream that carries nothing, and servers use bare `data:` lines as keep-alives.
- `retry:` (digits only, as WHATWG says) is reported on the next dispatched event rather than lost when the
  block it arrived in carries no data.
- An empty `id:` clears the last event id (`id=None`), as WHATWG clears the browser's Last-Event-ID.
- An `error:` field line is read like a `data:` line of an event whose type is `error`. WHATWG ignores unknown
  fields, but llama.cpp's server reports a failure in a stream as `error: {"code": ..., "message": ...}` (then
  sends `data: [DONE]`), and ignoring it would present a failed reply as a complete one.
- Invalid UTF-8 is replaced with U+FFFD rather than raising.
- One event (its data plus any unfinished line) may hold at most `max_event_bytes`; beyond that the decoder
  raises EventTooLargeError instead of buffering without bound.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "EventTooLargeError", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event. `data` is the event's `data:` lines joined with "\\n" (never empty)."""

    data: str
    event: str | None = None
    """The `event:` field; None when absent or empty (WHATWG then calls it a "message" event)."""
    id: str | None = None
    """The last `id:` seen on the stream so far (it carries over to later events, as WHATWG says)."""
    retry: int | None = None
    """A `retry:` reconnection delay in milliseconds, if one arrived since the previous dispatched event."""


class EventTooLargeError(ValueError):
    """One event grew beyond the decoder's size limit; the stream cannot be decoded any further."""

    def __init__(self, max_event_bytes: int) -> None:
        self.max_event_bytes = max_event_bytes
        super().__init__(
            f"a server-sent event is larger than the {max_event_bytes / (1024 * 1024):g} MiB limit; "
            "the stream was stopped"
        )


class SSEDecoder:
    """Incremental event-stream decoder: `feed()` the body's bytes, then `close()` at end of stream.

    Not thread-safe; one decoder per response body. After EventTooLargeError or `close()` it accepts no more
    input.
    """

    __slots__ = (
        "_at_stream_start",
        "_closed",
        "_data_lines",
        "_data_size",
        "_event_type",
        "_failed",
        "_fields_seen",
        "_last_event_id",
        "_max_event_bytes",
        "_partial_at_close",
        "_pending",
        "_pending_size",
        "_retry",
        "_skip_lf",
    )

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self._max_event_bytes = max_event_bytes
        # Bytes after the last line ending, kept as pieces so a long line arriving in many chunks costs one
        # join rather than a copy per chunk. They never contain CR or LF.
        self._pending: list[bytes] = []
        self._pending_size = 0
        # A CR ended the previous chunk: if the next chunk starts with LF, that LF completes the same CRLF.
        self._skip_lf = False
        # Only the first bytes of the stream may be a BOM, and the BOM itself may arrive split.
        self._at_stream_start = True
        self._data_lines: list[str] = []
        # UTF-8 size of the data lines joined with "\n" (starts at -1 so that n lines count n-1 separators).
        self._data_size = -1
        self._event_type: str | None = None
        self._last_event_id: str | None = None
        self._retry: int | None = None
        # A field line (not a comment) arrived since the last blank line: an event has begun.
        self._fields_seen = False
        self._failed = False
        self._closed = False
        self._partial_at_close = False

    @property
    def has_partial_event(self) -> bool:
        """True when an event or line has begun but its end has not arrived (so EOF now means truncation).

        Still answers after `close()`: then it tells whether close() discarded an unfinished event.
        """
        if self._closed:
            return self._partial_at_close
        return self._pending_size > 0 or self._fields_seen

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Take the next bytes of the body; return the events completed by them, in order."""
        if self._failed or self._closed:
            self._refuse_input()
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return []
        if self._at_stream_start:
            chunk = self._strip_bom(chunk)
            if not chunk:
                return []

        has_cr = b"\r" in chunk
        last_end = chunk.rfind(b"\n")
        if has_cr:
            last_end = max(last_end, chunk.rfind(b"\r"))
        if last_end < 0:
            # No line ending yet: the whole chunk belongs to an unfinished line.
            self._pending.append(chunk)
            self._pending_size += len(chunk)
            if self._data_size + self._pending_size > self._max_event_bytes:
                self._fail()
                self._raise_if_failed()
            return []

        if self._pending:
            last_end += self._pending_size
            self._pending.append(chunk)
            block = b"".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
        else:
            block = chunk
        if last_end == len(block) - 1:
            complete = block
        else:
            complete = block[: last_end + 1]
            tail = block[last_end + 1 :]
            self._pending.append(tail)
            self._pending_size = len(tail)
        if has_cr:
            # Only a CR that is the very last byte can pair with an LF in the next chunk; a CR followed by
            # more bytes here is a complete line ending on its own.
            self._skip_lf = complete[-1] == 0x0D and not self._pending
            complete = complete.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

        # Splitting only at LF before decoding is safe: LF is ASCII and never part of a multi-byte sequence.
        lines = complete.decode("utf-8", "replace").split("\n")
        lines.pop()  # `complete` ends with a line ending, so the last piece is always ""
        events = self._process_lines(lines)
        if self._pending_size and self._data_size + self._pending_size > self._max_event_bytes:
            self._fail()
        # If the limit was hit after some events completed, hand those over now; the next call raises.
        if not events:
            self._raise_if_failed()
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of stream. An event whose blank line never arrived is discarded (WHATWG): returns []."""
        self._raise_if_failed()
        if not self._closed:
            self._partial_at_close = self.has_partial_event
            self._closed = True
            self._clear_event()
            self._pending.clear()
            self._pending_size = 0
        return []

    def _strip_bom(self, chunk: bytes) -> bytes:
        """Drop one UTF-8 BOM at the very start of the stream, even when it arrives split across chunks."""
        if self._pending:
            chunk = b"".join(self._pending) + chunk
            self._pending.clear()
            self._pending_size = 0
        if len(chunk) < len(_UTF8_BOM) and _UTF8_BOM.startswith(chunk):
            self._pending.append(chunk)
            self._pending_size = len(chunk)
            return b""
        self._at_stream_start = False
        return chunk[3:] if chunk.startswith(_UTF8_BOM) else chunk

    def _process_lines(self, lines: list[str]) -> list[ServerSentEvent]:
        """Apply the WHATWG field rules to complete, decoded lines; return the events they dispatch."""
        events: list[ServerSentEvent] = []
        # State in locals, written back at the end, because this loop runs for every line of every token.
        data_lines = self._data_lines
        data_size = self._data_size
        fields_seen = self._fields_seen
        limit = self._max_event_bytes
        for line in lines:
            if not line:
                if data_lines:
                    data = "\n".join(data_lines)
                    if data:
                        events.append(_new_event(data, self._event_type, self._last_event_id, self._retry))
                        self._retry = None
                    data_lines = []
                    data_size = -1
                self._event_type = None
                fields_seen = False
                continue
            if line.startswith("data: "):
                value = line[6:]
            elif line.startswith("data:"):
                value = line[5:]
            elif line == "data":  # a field name without a colon has the empty value
                value = ""
            elif line[0] == ":":
                continue  # a comment, e.g. ": keep-alive" or ": OPENROUTER PROCESSING"
            else:
                fields_seen = True
                if not line.startswith("error:"):
                    self._apply_other_field(line)
                    continue
                # llama.cpp's server writes an error in a stream as an `error:` field: its value is the event's
                # data and the event's type is "error" (module docstring).
                value = line[7:] if line.startswith("error: ") else line[6:]
                self._event_type = "error"
            fields_seen = True
            data_lines.append(value)
            # isascii() is O(1) in CPython; only non-ASCII text pays for an encode to learn its UTF-8 size.
            data_size += (len(value) if value.isascii() else len(value.encode())) + 1
            if data_size > limit:
                self._fail()
                return events
        self._data_lines = data_lines
        self._data_size = data_size
        self._fields_seen = fields_seen
        return events

    def _apply_other_field(self, line: str) -> None:
        """Every field line other than `data` (rare, so kept out of the hot loop)."""
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event_type = value or None
        elif name == "id":
            if "\0" not in value:
                self._last_event_id = value or None
        elif name == "retry":
            self._retry = _parse_retry(value, self._retry)
        # Any other field is ignored, as WHATWG says.

    def _clear_event(self) -> None:
        self._data_lines = []
        self._data_size = -1
        self._event_type = None
        self._fields_seen = False

    def _refuse_input(self) -> None:
        self._raise_if_failed()
        raise RuntimeError("SSEDecoder.feed() called after close()")

    def _raise_if_failed(self) -> None:
        if self._failed:
            raise EventTooLargeError(self._max_event_bytes)

    def _fail(self) -> None:
        """Stop for good after the size limit: free the buffers; every later call raises."""
        self._failed = True
        self._clear_event()
        self._pending.clear()
        self._pending_size = 0


def _new_event(data: str, event: str | None, id: str | None, retry: int | None) -> ServerSentEvent:
    """Build a ServerSentEvent about twice as fast as its frozen-dataclass __init__, which goes through
    object.__setattr__ once per field; the slot descriptors set the same fields directly."""
    sse = _object_new(ServerSentEvent)
    _set_data(sse, data)
    _set_event(sse, event)
    _set_id(sse, id)
    _set_retry(sse, retry)
    return sse


_object_new = object.__new__
_set_data = vars(ServerSentEvent)["data"].__set__
_set_event = vars(ServerSentEvent)["event"].__set__
_set_id = vars(ServerSentEvent)["id"].__set__
_set_retry = vars(ServerSentEvent)["retry"].__set__


def _parse_retry(value: str, current: int | None) -> int | None:
    # WHATWG accepts only ASCII digits (no sign, no spaces, no "_"); anything else leaves retry unchanged.
    if not value or not value.isascii() or not value.isdigit():
        return current
    try:
        return int(value)
    except ValueError:  # more digits than int() accepts (sys.get_int_max_str_digits)
        return current
