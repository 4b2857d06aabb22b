"""Torch loads in the background while the user reads the form; devices show once it has.

The window opens without torch (seconds of import on a cold disk); the Train tab starts this
preloader when it is first shown, so Start rarely waits for the import.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

from PySide6.QtCore import QObject, Signal

MODELS_MODULE = "lstm_studio.core.models"
LAZY_TORCH_MODULES = ("lstm_studio.core.pipeline", "torch._dynamo")


def available_devices() -> list[str]:
    """CPU always; CUDA and MPS only when torch (already imported) reports them present."""
    devices = ["cpu"]
    torch = sys.modules.get("torch")
    if torch is None:
        return devices
    try:
        if torch.cuda.is_available():
            devices.append("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            devices.append("mps")
    except Exception:  # a broken driver must not break the form
        pass
    return devices


class TorchPreloader(QObject):
    """Imports the core's torch modules in a short-lived thread so the GUI never waits on it."""

    loaded = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        if MODELS_MODULE in sys.modules:
            self.loaded.emit()
            return
        self._thread = threading.Thread(target=self._run, name="torch-preload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            importlib.import_module(MODELS_MODULE)
        except Exception:  # torch missing or broken: training reports it when started
            return
        self.loaded.emit()  # queued to the GUI thread
        # The optimiser's first step imports torch._dynamo (a second or more of holding the
        # GIL in long stretches); doing it now keeps that stall out of the first training.
        for name in LAZY_TORCH_MODULES:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    def wait(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
