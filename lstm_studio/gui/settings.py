"""Persistent user settings: the only module that reads or writes QSettings.

Everything the app remembers between sessions (last-used configs, recent datasets, window
geometry, last folders, the first-launch flag) goes through the typed accessors below, so the
file layout is known in one place and can change under a version number.

Layout history (`meta/version`):
- 1: no version key. Configs as JSON under `options/<name>`, written from three places.
- 2: configs under `configs/<name>` (exactly `config_to_dict` of a core config, read back
  field by field through `core.config.config_from_dict`), the version key added.

`migrate()` runs on first access and upgrades older files in place. A file written by a
newer version (a higher number) is read as far as the keys are understood but never written,
so running an old build once does not destroy a newer build's settings.

Tests and portable setups point `LSTM_STUDIO_SETTINGS` at an .ini file so a real user's
settings are never touched; otherwise Qt's native per-user location is used.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QByteArray, QSettings

from lstm_studio import APP_NAME
from lstm_studio.core.config import config_from_dict, config_to_dict

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2
VERSION_KEY = "meta/version"
RECENT_LIMIT = 8
CONFIG_NAMES = ("cleaning", "vocabulary", "model", "training")

_RECENT_KEY = "recent/datasets"
_GEOMETRY_KEY = "window/geometry"
_LAUNCHED_KEY = "app/launched"
_LAST_FOLDER_KEY = "paths/last_dir"
_LAST_PROJECT_KEY = "paths/last_project"

C = TypeVar("C")
_warned_newer: set[str] = set()


# --- the file and its version -----------------------------------------------------------------
def _open() -> QSettings:
    path = os.environ.get("LSTM_STUDIO_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "LSTM Studio",
                     APP_NAME)


def stored_version(store: QSettings) -> int:
    """The layout version of `store`: its version key, 1 for an older file without one, and
    the current version for an empty (new) file."""
    raw = store.value(VERSION_KEY)
    if raw is None:
        return 1 if store.allKeys() else SETTINGS_VERSION
    try:
        return int(str(raw))
    except ValueError:
        log.warning("Settings version %r is not a number; reading the file as version 1", raw)
        return 1


def _v1_to_v2(store: QSettings) -> None:
    """Configs move from `options/<name>` to `configs/<name>`; the text is kept as it was
    (garbage in it is refused field by field when read)."""
    for name in CONFIG_NAMES:
        old = f"options/{name}"
        if store.contains(old):
            if not store.contains(f"configs/{name}"):
                store.setValue(f"configs/{name}", store.value(old))
            store.remove(old)


# version found -> the step that upgrades a file of that version by one
_MIGRATIONS: dict[int, Callable[[QSettings], None]] = {1: _v1_to_v2}


def migrate(store: QSettings) -> int:
    """Upgrade `store` in place to SETTINGS_VERSION; returns the version it had.

    Newer files are left untouched (see the module docstring)."""
    found = stored_version(store)
    if found > SETTINGS_VERSION:
        if store.fileName() not in _warned_newer:
            _warned_newer.add(store.fileName())
            log.warning("Settings in %s were written by a newer LSTM Studio (version %d); "
                        "they are read but not changed", store.fileName(), found)
        return found
    version = found
    while version < SETTINGS_VERSION:
        _MIGRATIONS[version](store)
        version += 1
    if found != SETTINGS_VERSION or store.value(VERSION_KEY) is None:
        store.setValue(VERSION_KEY, SETTINGS_VERSION)
        store.sync()
    return found


def _store() -> QSettings:
    """The settings file, migrated. QSettings objects are cheap: Qt shares the parsed file."""
    store = _open()
    migrate(store)
    return store


def _write(key: str, value: object) -> None:
    store = _store()
    if stored_version(store) > SETTINGS_VERSION:
        return  # a newer build's file: never written by this one
    store.setValue(key, value)
    store.sync()


def _read_json(key: str) -> object:
    raw = _store().value(key)
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.warning("Settings entry %s is not valid JSON; using defaults", key)
        return None


def settings_location() -> str:
    return _open().fileName()


# --- configs ----------------------------------------------------------------------------------
def load_config(name: str, cls: type[C]) -> C:
    """The last-used `cls` config saved under `name`, or the defaults.

    Fields that are missing or hold a wrong-typed value get their defaults; the others keep
    their saved values."""
    refused: list[str] = []
    config = config_from_dict(cls, _read_json(f"configs/{name}"), refused=refused)
    if refused:
        log.warning("Settings %s: ignored unusable %s", name, ", ".join(refused))
    return config


def save_config(name: str, config: object) -> None:
    """Remember a core config (a dataclass) under `name`."""
    _write(f"configs/{name}", json.dumps(config_to_dict(config), ensure_ascii=False))


# --- recent datasets ---------------------------------------------------------------------------
def recent_datasets() -> list[list[str]]:
    """Recently opened datasets, newest first; each entry is the list of paths loaded together."""
    entries = _read_json(_RECENT_KEY)
    if not isinstance(entries, list):
        return []
    return [[str(path) for path in entry] for entry in entries
            if isinstance(entry, list) and entry]


def add_recent_dataset(paths: list[str]) -> None:
    entries = [entry for entry in recent_datasets() if entry != list(paths)]
    entries.insert(0, list(paths))
    _write(_RECENT_KEY, json.dumps(entries[:RECENT_LIMIT], ensure_ascii=False))


# --- window, folders, first launch ---------------------------------------------------------------
def window_geometry() -> QByteArray | None:
    """What `QWidget.saveGeometry()` returned last time, or None."""
    value = _store().value(_GEOMETRY_KEY)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def save_window_geometry(geometry: QByteArray) -> None:
    _write(_GEOMETRY_KEY, geometry)


def first_launch() -> bool:
    """True until `mark_launched()` was called once on this machine (for this settings file)."""
    return _store().value(_LAUNCHED_KEY) is None


def mark_launched() -> None:
    _write(_LAUNCHED_KEY, True)


def _text(key: str) -> str:
    value = _store().value(key)
    return value if isinstance(value, str) else ""


def last_folder() -> str:
    """The folder a dataset was last opened from ("" if none): file dialogs start there."""
    return _text(_LAST_FOLDER_KEY)


def set_last_folder(path: str) -> None:
    _write(_LAST_FOLDER_KEY, path)


def last_project() -> str:
    """The project file last saved or opened ("" if none)."""
    return _text(_LAST_PROJECT_KEY)


def set_last_project(path: str) -> None:
    _write(_LAST_PROJECT_KEY, path)
