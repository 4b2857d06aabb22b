"""Every message box and file dialog of the app goes through this module.

Tests install a `responder` (see tests/gui/conftest.py): each call is recorded in `calls` and
answered by the responder instead of a blocking modal dialog, so a test can assert the exact
text a user would have read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


@dataclass
class DialogCall:
    kind: str  # "error", "info", "question", "open_files", "open_folder", "save_file", "about"
    title: str
    text: str


calls: list[DialogCall] = []
# The answer depends on the kind: a bool for "question", a list of paths for "open_files", a
# path or None for "open_folder" and "save_file"; ignored for the others.
responder: Callable[[DialogCall], object] | None = None


def _intercepted(call: DialogCall) -> tuple[bool, object]:
    calls.append(call)
    if len(calls) > 200:  # a long session must not grow this forever
        del calls[:-100]
    if responder is None:
        return False, None
    return True, responder(call)


def error(parent: QWidget | None, title: str, text: str) -> None:
    handled, _ = _intercepted(DialogCall("error", title, text))
    if not handled:
        QMessageBox.critical(parent, title, text)


def info(parent: QWidget | None, title: str, text: str) -> None:
    handled, _ = _intercepted(DialogCall("info", title, text))
    if not handled:
        QMessageBox.information(parent, title, text)


def about(parent: QWidget | None, title: str, html: str) -> None:
    handled, _ = _intercepted(DialogCall("about", title, html))
    if not handled:
        QMessageBox.about(parent, title, html)


def question(parent: QWidget | None, title: str, text: str) -> bool:
    handled, answer = _intercepted(DialogCall("question", title, text))
    if handled:
        return bool(answer)
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    reply = QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.No)
    return reply == QMessageBox.StandardButton.Yes


def open_files(parent: QWidget | None, title: str, directory: str = "",
               filters: str = "") -> list[str]:
    handled, answer = _intercepted(DialogCall("open_files", title, directory))
    if handled:
        return [str(path) for path in answer] if isinstance(answer, (list, tuple)) else []
    paths, _ = QFileDialog.getOpenFileNames(parent, title, directory, filters)
    return paths


def open_folder(parent: QWidget | None, title: str, directory: str = "") -> str | None:
    handled, answer = _intercepted(DialogCall("open_folder", title, directory))
    if handled:
        return str(answer) if answer else None
    path = QFileDialog.getExistingDirectory(parent, title, directory)
    return path or None


def save_file(parent: QWidget | None, title: str, directory: str = "",
              filters: str = "") -> str | None:
    handled, answer = _intercepted(DialogCall("save_file", title, directory))
    if handled:
        return str(answer) if answer else None
    path, _ = QFileDialog.getSaveFileName(parent, title, directory, filters)
    return path or None


def last(kind: str) -> DialogCall | None:
    """The most recent recorded call of `kind` (for tests and the self-test)."""
    for call in reversed(calls):
        if call.kind == kind:
            return call
    return None
