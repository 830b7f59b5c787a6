"""Named setups for `python -m tests.fakes.server --scenario NAME`: what a human (or the screenshot script)
sees when pointing toki at the fake. Each one configures a FakeServer's default replies."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes.completions import echo_reply, text_reply
from tests.fakes.models import DEFAULT_MODEL_IDS, models_reply
from tests.fakes.per_model import by_model
from tests.fakes.replies import cycle, openai_error_reply, rate_limit_reply
from tests.fakes.server import FakeServer
from tests.fakes.streams import stream_text
from tests.fakes.tool_scenario import tool_calling_reply

MARKDOWN_REPLY = """\
## Reading a file in chunks

Python reads files **lazily** when you iterate, so even a *very* large log fits in memory. The idea:

1. Open the file in binary mode, so no decoding surprises.
2. Read fixed-size blocks with `read(n)` until it returns `b""`.
3. Process each block as it arrives.

```python
from pathlib import Path


def count_lines(path: Path, block_size: int = 1 << 16) -> int:
    \"\"\"Count newline bytes without loading the whole file.\"\"\"
    total = 0
    with path.open("rb") as handle:
        while block := handle.read(block_size):
            total += block.count(b"\\n")
    return total


print(count_lines(Path("server.log")))
```

| approach | memory | speed |
|---|---|---|
| `read()` everything | O(file) | fast for small files |
| iterate lines | O(longest line) | good |
| fixed blocks | O(block) | best for huge files |

> Tip: on a network filesystem, larger blocks (1 MiB) usually win.

- Works on Linux, macOS and Windows
- No third-party packages
- See the [io module docs](https://docs.python.org/3/library/io.html) for details.

That's it: `count_lines` streams through the file once."""

REASONING_TEXT = (
    "The user wants to know why the sky is blue. Rayleigh scattering: shorter wavelengths scatter more "
    "strongly, roughly with the inverse fourth power of wavelength. Violet scatters even more, but the sun "
    "emits less violet and our eyes are less sensitive to it. So: blue. Keep the answer short."
)
REASONING_ANSWER = (
    "The sky looks blue because air molecules scatter short wavelengths of sunlight much more than long ones "
    "(**Rayleigh scattering**, proportional to 1/λ⁴). Violet is scattered even more, but sunlight contains "
    "less of it and our eyes are less sensitive to it, so we see blue."
)


def _echo(server: FakeServer) -> None:
    server.default_reply = echo_reply(chunk_delay=0.01)


def _markdown(server: FakeServer) -> None:
    server.default_reply = text_reply(MARKDOWN_REPLY, chunk_delay=0.03)


def _reasoning(server: FakeServer) -> None:
    server.default_reply = text_reply(REASONING_ANSWER, reasoning=REASONING_TEXT, chunk_delay=0.04)


def _slow(server: FakeServer) -> None:
    # A long wait for the first token, then a trickle: for spinners, countdowns and the Esc key.
    server.default_reply = echo_reply(first_delay=2.0, chunk_delay=0.3, keepalive_comments=3)


def _error429(server: FakeServer) -> None:
    server.default_reply = rate_limit_reply(retry_after=2)


def _flaky(server: FakeServer) -> None:
    # In turn: a 503 (retried by the client), a reply cut off mid-stream, then a good reply.
    server.default_reply = cycle(
        openai_error_reply(503, "The model is overloaded. Please try again later.", type="server_error"),
        stream_text(
            "This answer starts well but the connection drops in the middle of",
            chunk_delay=0.05,
            finish_reason=None,
            usage=False,
            done=False,
            close_abruptly=True,
        ),
        echo_reply(chunk_delay=0.02),
    )


OPENROUTER_CHARGE = {"cost": 0.000321, "is_byok": False, "cost_details": {"upstream_inference_cost": None}}
"""What the openrouter scenario's replies were charged, as OpenRouter's usage says it."""


def _openrouter(server: FakeServer) -> None:
    server.models = models_reply("openrouter")
    # OpenRouter reports each reply's charge in its usage (docs/protocol.md §2.3): toki shows it, not an estimate.
    server.default_reply = text_reply(
        REASONING_ANSWER, reasoning=REASONING_TEXT, reasoning_field="reasoning", usage_extra=OPENROUTER_CHARGE
    )


def _compare(server: FakeServer) -> None:
    # Three models at different paces, the third out of quota: for /compare and `toki ask --compare`.
    fast, markdown, failing = DEFAULT_MODEL_IDS
    server.default_reply = by_model(
        {
            fast: text_reply(REASONING_ANSWER, chunk_delay=0.02),
            markdown: text_reply(MARKDOWN_REPLY, chunk_delay=0.01, first_delay=0.6),
            failing: openai_error_reply(429, "You exceeded your current quota.", code="insufficient_quota"),
        },
        default=echo_reply(chunk_delay=0.01),
    )


def _mcp(server: FakeServer) -> None:
    # A model that calls the tools it is offered: "call echo {\"text\": \"hi\"}" (see tests/fakes/tool_scenario.py).
    server.default_reply = tool_calling_reply()


SCENARIOS: dict[str, Callable[[FakeServer], None]] = {
    "echo": _echo,
    "markdown": _markdown,
    "reasoning": _reasoning,
    "slow": _slow,
    "error429": _error429,
    "flaky": _flaky,
    "openrouter": _openrouter,
    "compare": _compare,
    "mcp": _mcp,
}
