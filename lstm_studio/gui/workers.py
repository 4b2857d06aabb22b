"""Run core functions off the GUI thread and hand plain data back through queued signals.

A task is a plain function `fn(progress, emit) -> result`: it reports through the core
`Progress` (which also carries cancel and pause) and may `emit(obj)` partial results, e.g.
training events. It never touches widgets. The QThread subclass runs `fn` directly in `run()`,
with no event loop of its own, so waiting for it from the GUI thread can never deadlock.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from lstm_studio.core.errors import Cancelled, UserError
from lstm_studio.core.progress import Progress

log = logging.getLogger(__name__)

TaskFunction = Callable[[Progress, Callable[[Any], None]], Any]


class _TaskThread(QThread):
    progressed = Signal(int, int, str)
    partial = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    was_cancelled = Signal()

    def __init__(self, fn: TaskFunction, progress: Progress) -> None:
        super().__init__()
        self._fn = fn
        self.progress = progress

    def run(self) -> None:  # runs in the worker thread
        try:
            result = self._fn(self.progress, self.partial.emit)
        except Cancelled:
            self.was_cancelled.emit()
        except UserError as error:
            self.failed.emit(str(error))
        except MemoryError:
            self.failed.emit("There is not enough memory for this; try a smaller setting.")
        except Exception as error:  # a bug: keep the app alive, tell the user, log the trace
            log.error("Background task failed:\n%s", traceback.format_exc())
            self.failed.emit(f"Unexpected error ({type(error).__name__}): {error}")
        else:
            self.succeeded.emit(result)


class BackgroundTask(QObject):
    """One piece of long work; connect to its signals, then `start()`.

    Signals (all delivered on the GUI thread): progressed(done, total, what), partial(obj),
    finished(result), failed(message), cancelled(), and ended() after any of the last three.
    """

    progressed = Signal(int, int, str)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()

    def __init__(self, fn: TaskFunction, parent: QObject | None = None,
                 min_interval: float = 0.05) -> None:
        super().__init__(parent)
        self._thread = _TaskThread(fn, Progress(None, min_interval=min_interval))
        # The listener emits from the worker thread; Qt queues it to the GUI thread.
        self._thread.progress._listener = self._thread.progressed.emit
        self._thread.progressed.connect(self.progressed)
        self._thread.partial.connect(self.partial)
        self._thread.succeeded.connect(self._on_succeeded)
        self._thread.failed.connect(self._on_failed)
        self._thread.was_cancelled.connect(self._on_cancelled)

    @property
    def progress(self) -> Progress:
        return self._thread.progress

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._thread.progress.cancel()

    def pause(self) -> None:
        self._thread.progress.pause()

    def resume(self) -> None:
        self._thread.progress.resume()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def is_finished(self) -> bool:
        return self._thread.isFinished()

    def cancel_and_wait(self, timeout_ms: int = 2000) -> bool:
        """Cancel and block until the thread ended; True if it did within the timeout."""
        self.cancel()
        return self._thread.wait(timeout_ms)

    def _on_succeeded(self, result: object) -> None:
        self.finished.emit(result)
        self.ended.emit()

    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)
        self.ended.emit()

    def _on_cancelled(self) -> None:
        self.cancelled.emit()
        self.ended.emit()
