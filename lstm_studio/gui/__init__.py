"""Qt views over lstm_studio.core: main window, one module per tab, workers, reusable widgets."""

from __future__ import annotations

import sys


def _keep_none_alive() -> None:
    """Work around a PySide6 6.12 reference-count bug on CPython 3.11 and older.

    Every call of a void Qt method (setText, resize, setValue...) returns None to Python without
    taking a new reference, and a signal carrying a bool hands True/False to its Python slots the
    same way, so each call lowers the singleton's reference count by one. After a few thousand
    calls CPython aborts ("Fatal Python error: none_dealloc" / "bool_dealloc"). Python 3.12 made
    these objects immortal (PEP 683); on older versions we give them a reference count no
    session can use up, which is what 3.12 does. Added by the Inspect worker (measured with
    PySide6 6.12.0 on Python 3.11.7: -1 per `QObject().setObjectName('x')`, -1 per emission of
    a `Signal(bool)` to a Python slot).
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for singleton in (None, True, False):
        # ob_refcnt is the first field of every PyObject in a release build.
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < 1 << 40:
            refcount.value += 1 << 40


_keep_none_alive()
