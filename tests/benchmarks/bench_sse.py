"""How much CPU SSEDecoder costs per event, against a bare `buffer.split(b"\\n")` consumer in the same run.

Run: `python -m tests.benchmarks.bench_sse` (or `python tests/benchmarks/bench_sse.py`). Prints figures only;
it never fails on a number.

The reference is what a minimal client does: append the chunk to a bytes buffer, split on LF, keep the tail,
take the payload of `data: ` lines. It handles no CR, no BOM, no multi-line data, no size limit. Each scenario
is timed twice: framing alone, and framing plus `json.loads` of every payload (what a client really spends per
token; the project budget is SSEDecoder <= 1.5x the reference there).
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a plain script: make `toki_tui` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from toki_tui.core.api.sse import SSEDecoder

EVENT_COUNT = 20_000
REPEATS = 7
TYPICAL_EVENT = (
    b'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tok "}}]}\n\n'
)


def split_into_pieces(body: bytes, low: int, high: int, seed: int = 1) -> list[bytes]:
    """Cut `body` at random points, each piece between `low` and `high` bytes, like socket reads."""
    rng = random.Random(seed)
    pieces: list[bytes] = []
    position = 0
    while position < len(body):
        size = rng.randint(low, high)
        pieces.append(body[position : position + size])
        position += size
    return pieces


def run_reference(chunks: list[bytes], parse_json: bool) -> int:
    buffer = b""
    count = 0
    for chunk in chunks:
        buffer += chunk
        lines = buffer.split(b"\n")
        buffer = lines.pop()
        for line in lines:
            if line.startswith(b"data: "):
                payload = line[6:]
                if parse_json:
                    json.loads(payload)
                count += 1
    return count


def run_decoder(chunks: list[bytes], parse_json: bool) -> int:
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        for event in decoder.feed(chunk):
            if parse_json:
                json.loads(event.data)
            count += 1
    decoder.close()
    return count


def best_seconds(function: Callable[[list[bytes], bool], int], chunks: list[bytes], parse_json: bool) -> float:
    """Fastest of REPEATS runs (the least disturbed by other processes), with the GC off while timing."""
    timings = []
    for _ in range(REPEATS):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            count = function(chunks, parse_json)
            timings.append(time.perf_counter() - start)
        finally:
            gc.enable()
        if count != EVENT_COUNT:
            raise AssertionError(f"{function.__name__} decoded {count} events, expected {EVENT_COUNT}")
    return min(timings)


def main() -> None:
    body = TYPICAL_EVENT * EVENT_COUNT
    crlf_body = body.replace(b"\n", b"\r\n")
    scenarios: list[tuple[str, list[bytes], list[bytes]]] = [
        ("one event per chunk", [TYPICAL_EVENT] * EVENT_COUNT, [TYPICAL_EVENT] * EVENT_COUNT),
        ("network pieces 200-1500 B", split_into_pieces(body, 200, 1500), split_into_pieces(body, 200, 1500)),
        ("network pieces 1-16 KiB", split_into_pieces(body, 1024, 16384), split_into_pieces(body, 1024, 16384)),
        # The reference cannot read CRLF (its lines keep the CR), so it runs on the LF body of the same split.
        ("CRLF, pieces 200-1500 B", split_into_pieces(crlf_body, 200, 1500), split_into_pieces(body, 200, 1500)),
    ]
    print(f"SSEDecoder vs bare split(b'\\n'), {EVENT_COUNT} events of {len(TYPICAL_EVENT)} B, best of {REPEATS}")
    print(f"Python {sys.version.split()[0]}")
    header = f"{'scenario':28} {'json':>5} {'decoder µs/ev':>14} {'reference µs/ev':>16} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name, decoder_chunks, reference_chunks in scenarios:
        for parse_json in (False, True):
            decoder_seconds = best_seconds(run_decoder, decoder_chunks, parse_json)
            reference_seconds = best_seconds(run_reference, reference_chunks, parse_json)
            decoder_us = decoder_seconds / EVENT_COUNT * 1e6
            reference_us = reference_seconds / EVENT_COUNT * 1e6
            print(
                f"{name:28} {'yes' if parse_json else 'no':>5} {decoder_us:14.3f} {reference_us:16.3f}"
                f" {decoder_us / reference_us:6.2f}"
            )


if __name__ == "__main__":
    main()
