"""The token-store cache: where stores live, how much disk they take, clearing them.

Stores are rebuilt from the sources whenever needed, so they live in the user's cache folder
(core/paths.py), never beside user data, and clearing them loses no work. A store being
written is a `*.partial-*` folder renamed into place when complete, so a reader never sees
half a store; partial folders left by a killed process are swept by `clear_cache` and by
`sweep_partials` (only those older than an hour, so a build running in another window is
left alone).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from lstm_studio.core.paths import user_cache_dir

STORES = "stores"
PARTIAL = ".partial-"
STALE_PARTIAL_SECONDS = 3600.0


def stores_dir() -> Path:
    """The folder holding one subfolder per store (created when missing)."""
    folder = user_cache_dir() / STORES
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class CacheUsage:
    """What the cache holds, as the app and `lstm-studio cache` show it."""

    folder: str
    stores: int
    bytes: int

    def to_dict(self) -> dict[str, object]:
        return {"folder": self.folder, "stores": self.stores, "bytes": self.bytes}


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:  # removed while we looked
            continue
    return total


def cache_usage() -> CacheUsage:
    """Stores (complete ones) and bytes on disk (partial folders included: they take space)."""
    folder = stores_dir()
    stores = sum(1 for child in folder.iterdir() if child.is_dir() and PARTIAL not in child.name)
    return CacheUsage(str(folder), stores, _folder_bytes(folder))


def clear_cache() -> CacheUsage:
    """Remove every store; returns what was freed. A store in use by a running training stays
    readable until that process closes it (the OS keeps unlinked memory-mapped files)."""
    before = cache_usage()
    for child in stores_dir().iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    return before


def sweep_partials(max_age: float = STALE_PARTIAL_SECONDS) -> int:
    """Remove partial store folders older than `max_age` seconds; returns how many."""
    now, removed = time.time(), 0
    for child in stores_dir().iterdir():
        if PARTIAL in child.name and child.is_dir():
            try:
                old = now - child.stat().st_mtime > max_age
            except OSError:
                continue
            if old:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
    return removed
