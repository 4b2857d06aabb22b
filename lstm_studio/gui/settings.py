"""Persistent user settings (window geometry, recent datasets, last-used options) in QSettings.

Tests and portable setups point `LSTM_STUDIO_SETTINGS` at an .ini file so a real user's
settings are never touched; otherwise Qt's native per-user location is used.
"""

from __future__ import annotations

import json
import os
from typing import Any

from PySide6.QtCore import QSettings

from lstm_studio import APP_NAME

RECENT_LIMIT = 8


def settings() -> QSettings:
    path = os.environ.get("LSTM_STUDIO_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "LSTM Studio", APP_NAME)


def settings_location() -> str:
    return settings().fileName()


def recent_datasets() -> list[list[str]]:
    """Recently opened datasets, newest first; each entry is the list of paths loaded together."""
    raw = settings().value("recent/datasets", "[]")
    try:
        entries = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return [list(map(str, entry)) for entry in entries if isinstance(entry, list) and entry]


def add_recent_dataset(paths: list[str]) -> None:
    entries = [entry for entry in recent_datasets() if entry != list(paths)]
    entries.insert(0, list(paths))
    store = settings()
    store.setValue("recent/datasets", json.dumps(entries[:RECENT_LIMIT], ensure_ascii=False))
    store.sync()


def load_option(name: str, default: Any = None) -> Any:
    """A JSON value saved by `save_option` (e.g. the last cleaning config as a dict)."""
    raw = settings().value(f"options/{name}")
    if not isinstance(raw, str):
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def save_option(name: str, value: Any) -> None:
    store = settings()
    store.setValue(f"options/{name}", json.dumps(value, ensure_ascii=False))
    store.sync()


def value(key: str, default: Any = None) -> Any:
    return settings().value(key, default)


def set_value(key: str, data: Any) -> None:
    store = settings()
    store.setValue(key, data)
    store.sync()
