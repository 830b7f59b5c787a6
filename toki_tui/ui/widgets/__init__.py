"""toki_tui.ui.widgets."""
