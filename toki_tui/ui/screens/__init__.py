"""toki_tui.ui.screens."""
