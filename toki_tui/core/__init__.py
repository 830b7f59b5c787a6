"""The client core: config, the SSE decoder, the async API client and the history store.

Plain Python, httpx, platformdirs, tomllib and (only when saving the config) tomlkit. It never imports textual,
rich or toki_tui.ui, so `toki ask` starts fast and the core is usable and testable without the TUI (a test proves it).
"""
