"""`python -m toki_tui` runs the same entry point as the `toki` command."""

import sys

from toki_tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
