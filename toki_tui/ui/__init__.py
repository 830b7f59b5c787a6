"""toki_tui.ui."""
