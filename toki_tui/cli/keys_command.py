"""`toki config keys`: every key binding's id, its key with the config's [keymap] applied, and what it does.

Entries of the keymap the app would refuse (unknown id, unparsable key, a key the prompt keeps) are reported on
stderr and left out, as the app leaves them out; the exit status is still 0, since the table is complete.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping

from toki_tui.cli.common import report
from toki_tui.core.text import displayable


def print_keys(keymap: Mapping[str, str], *, as_json: bool) -> int:
    from toki_tui.ui.key_catalog import check_keymap, key_display, key_rows

    applied, problems = check_keymap(keymap)
    for problem in problems:
        report(f"keymap: {problem} (the default key stays)")
    rows = key_rows(applied)
    if as_json:
        records = [
            {"id": row.binding_id, "keys": row.keys, "default": row.default, "where": row.where, "what": row.what}
            for row in rows
        ]
        json.dump(records, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    table = [(row.binding_id, key_display(row.keys), row.where, row.what) for row in rows]
    headers = ("id", "keys", "where", "what it does")
    widths = [max(len(line[column]) for line in (headers, *table)) for column in range(3)]
    for line in (headers, *table):
        cells = [cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True)]
        sys.stdout.write(displayable("  ".join([*cells, line[3]])) + "\n")
    return 0
