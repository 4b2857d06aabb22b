"""Where LSTM Studio keeps per-user files: data (run history, models) and a cache.

platformdirs knows each desktop's convention, so the folders are where a user of that system
looks for them (Linux honours XDG_DATA_HOME and XDG_CACHE_HOME). The application name is
"lstm-studio" on Linux and "LSTM Studio" elsewhere, the names earlier versions used, so runs
and models saved before keep being found.

`LSTM_STUDIO_HOME` overrides both: data goes to that folder and the cache to its `cache`
subfolder. Tests point it at a temporary folder so they never touch a real user's files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

HOME_OVERRIDE = "LSTM_STUDIO_HOME"


def _app_name() -> str:
    return "lstm-studio" if sys.platform.startswith("linux") else "LSTM Studio"


def _override() -> Path | None:
    value = os.environ.get(HOME_OVERRIDE)
    return Path(value) if value else None


def user_data_dir() -> Path:
    """Run history and the default models folder (created when missing)."""
    override = _override()
    if override is not None:
        base = override
    else:
        # Roaming on Windows (%APPDATA%), as before: a user's runs follow them between machines.
        base = platformdirs.user_data_path(_app_name(), appauthor=False, roaming=True)
    base.mkdir(parents=True, exist_ok=True)
    return base


def user_cache_dir() -> Path:
    """Files that can be rebuilt from the sources at any time, e.g. a parsed corpus store
    (created when missing). Kept apart from user data so clearing it loses no work."""
    override = _override()
    if override is not None:
        base = override / "cache"
    else:
        base = platformdirs.user_cache_path(_app_name(), appauthor=False)
    base.mkdir(parents=True, exist_ok=True)
    return base
