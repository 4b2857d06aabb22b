"""The core must stay usable without Qt: no module under lstm_studio/core imports it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "lstm_studio" / "core"
# The Qt-free suites and what they load; CI also runs them where Qt is not installed at all.
QT_FREE_TESTS = [REPO / "tests" / "core", REPO / "tests" / "cli", REPO / "tests" / "conftest.py",
                 REPO / "tests" / "train_fixtures.py"]
FORBIDDEN = {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"}


def imported_top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_sources_never_import_qt() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_top_level_names(path) & FORBIDDEN)
        for path in CORE.rglob("*.py")
        if imported_top_level_names(path) & FORBIDDEN
    }
    assert offenders == {}


def test_qt_free_test_folders_never_import_qt() -> None:
    files = [path for place in QT_FREE_TESTS
             for path in ([place] if place.is_file() else sorted(place.rglob("*.py")))]
    assert len(files) > 20
    offenders = {str(path.relative_to(REPO)): sorted(imported_top_level_names(path) & FORBIDDEN)
                 for path in files if imported_top_level_names(path) & FORBIDDEN}
    assert offenders == {}


def test_the_checker_sees_a_qt_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6 import QtCore\n", encoding="utf-8")
    assert imported_top_level_names(bad) & FORBIDDEN == {"PySide6"}


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = [
        "lstm_studio.core." + path.stem
        for path in sorted(CORE.glob("*.py"))
        if path.stem != "__init__"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
