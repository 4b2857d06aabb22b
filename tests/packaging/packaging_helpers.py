"""Helpers for the packaging tests: load packaging/*.py by path (the folder is no package)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import platformdirs

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def load_packaging_module(name: str) -> ModuleType:
    """packaging/<name>.py as module `lstm_packaging_<name>` (its siblings stay importable)."""
    qualified = f"lstm_packaging_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    if str(PACKAGING) not in sys.path:
        sys.path.append(str(PACKAGING))
    spec = importlib.util.spec_from_file_location(qualified, PACKAGING / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


def package_build_dir() -> Path:
    """Where the slow tests build the frozen app: `LSTM_STUDIO_PACKAGE_BUILD`, else a folder in
    the user's cache named after this checkout (so worktrees do not overwrite each other's
    builds, and a second run can reuse a build made from the same sources)."""
    override = os.environ.get("LSTM_STUDIO_PACKAGE_BUILD")
    if override:
        return Path(override)
    checkout = hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
    return platformdirs.user_cache_path("lstm-studio-tests") / f"package-build-{checkout}"
