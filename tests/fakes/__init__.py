"""The loopback fake OpenAI-compatible server; import from tests.fakes.server (see its docstring)."""
