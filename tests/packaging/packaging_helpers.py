"""Helpers for the packaging tests: load packaging/*.py by path (the folder is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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
