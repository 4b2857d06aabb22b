"""QApplication bootstrap (filled in by the desktop shell)."""

from __future__ import annotations

import sys


def main(self_test: bool = False) -> int:
    print("The desktop app is not built yet; use a subcommand (see --help).", file=sys.stderr)
    return 1
