"""The wire: talking to an OpenAI-compatible server (HTTP client and transport, SSE decoding, chunk parsing into
typed events, reply accumulation and limits, errors and retries, tool calls, the model list and its cache)."""
