"""The wire: talking to an OpenAI-compatible server (HTTP client and transport, SSE decoding, chunk parsing into
typed events, reply accumulation and limits, errors and retries, tool calls, the model list and its cache)."""

import sys

# httpx's __init__ imports its command-line tool (httpx._main), which imports click, rich and pygments, whenever
# click is installed, as it is alongside the mcp SDK (its server side needs uvicorn, which needs click). toki never
# runs httpx's command line; without this, `toki ask` would import rich (tests/cli/test_ask.py forbids it) and
# start tens of milliseconds later. A None entry makes that import fail, and httpx falls back to its stub `main`.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
