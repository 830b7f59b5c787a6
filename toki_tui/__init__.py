"""toki: a full-screen terminal chat client for TOKI and any OpenAI-compatible Chat Completions API."""

__version__ = "0.1.0"
