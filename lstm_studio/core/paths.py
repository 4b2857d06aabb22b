"""Where LSTM Studio keeps per-user data (run history, default model folder).

`LSTM_STUDIO_HOME` overrides the location; tests point it at a temporary folder so they never
touch a real user's files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_data_dir() -> Path:
    override = os.environ.get("LSTM_STUDIO_HOME")
    if override:
        base = Path(override)
    elif sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "LSTM Studio"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "LSTM Studio"
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / "lstm-studio"
    base.mkdir(parents=True, exist_ok=True)
    return base
