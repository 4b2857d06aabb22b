"""Run core functions off the GUI thread and hand plain data back through queued signals.

A task is a plain function `fn(progress, emit) -> result`: it reports through the core
`Progress` (which also carries cancel and pause) and may `emit(obj)` partial results, e.g.
training events. It never touches widgets. The QThread subclass runs `fn` directly in `run()`,
with no event loop of its own, so waiting for it from the GUI thread can never deadlock.

`TaskSlot` is the one lifecycle every view uses on top of that: one current task per kind of
work, a new start retires (cancels) the previous one and drops whatever it still delivers
(stale results), failures are reported once, `on_done(ok)` always fires, and `shutdown()`
waits for the current and the retired tasks alike, so no thread outlives the window.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QWidget

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
                 min_interval: float = 0.05, description: str = "") -> None:
        super().__init__(parent)
        self.description = description  # what a progress display shows ("Loading x.csv")
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


FIRST_WAIT_MS = 2000
LAST_WAIT_MS = 120_000


def stop_task(task: BackgroundTask | None, what: str) -> bool:
    """Cancel `task` and wait for its thread: 2 s, then longer with a log line.

    Work that checks its Progress stops within the first wait. Returning with the thread still
    alive would let Qt destroy a running QThread at exit (a crash), so a task stuck in a step
    that cannot be interrupted is waited for, up to two minutes. True if it ended.
    """
    if task is None or not task.is_running():
        return True
    if task.cancel_and_wait(FIRST_WAIT_MS):
        return True
    log.warning("%s did not stop within %d ms; waiting for it to finish its step", what,
                FIRST_WAIT_MS)
    return task.cancel_and_wait(LAST_WAIT_MS)


@dataclass
class _Handlers:
    on_result: Callable[[Any], None] | None
    on_partial: Callable[[Any], None] | None
    on_progress: Callable[[int, int, str], None] | None
    on_failed: Callable[[str], None] | None
    on_cancelled: Callable[[], None] | None
    on_done: Callable[[bool], None] | None
    still_valid: Callable[[], bool] | None


class TaskSlot(QObject):
    """One kind of background work owned by a view (loading, cleaning, tracing...).

    `start(fn, ...)` runs `fn` in a BackgroundTask. Only the *current* task's signals reach
    the handlers: starting again cancels the running task and retires it, and whatever a
    retired task still delivers is dropped, as is a result for which `still_valid()` (checked
    on the GUI thread when the result arrives) says the inputs changed meanwhile. A failure
    goes to `on_failed`, or else to an error dialog titled `failure_title`. `on_done(ok)`
    fires exactly once per start, after the task ended, with ok = a result was delivered.
    `shutdown()` cancels everything and waits, retired tasks included.
    """

    started = Signal(object)  # the BackgroundTask, e.g. for a TaskBar to follow
    busy_changed = Signal(bool)

    def __init__(self, owner: QWidget, what: str, failure_title: str = "") -> None:
        super().__init__(owner)
        self._owner = owner
        self.what = what
        self.failure_title = failure_title or f"{what} failed"
        self.current: BackgroundTask | None = None
        self._retired: list[BackgroundTask] = []
        self.last_error: str | None = None

    # --- state ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.current is not None and self.current.is_running()

    def is_busy(self) -> bool:
        """A current task exists (started and not ended yet, perhaps not launched)."""
        return self.current is not None

    def is_current(self, task: BackgroundTask) -> bool:
        return task is self.current

    # --- control -------------------------------------------------------------------------
    def start(self, fn: TaskFunction, on_result: Callable[[Any], None] | None = None, *,
              on_partial: Callable[[Any], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None,
              on_failed: Callable[[str], None] | None = None,
              on_cancelled: Callable[[], None] | None = None,
              on_done: Callable[[bool], None] | None = None,
              still_valid: Callable[[], bool] | None = None,
              launch: bool = True, min_interval: float = 0.05,
              description: str = "") -> BackgroundTask:
        """Run `fn` as this slot's current task (retiring any previous one).

        `description` is what a TaskBar following this slot shows (default: the slot's
        `what`)."""
        self.cancel()
        task = BackgroundTask(fn, self, min_interval=min_interval,
                              description=description or self.what)
        handlers = _Handlers(on_result, on_partial, on_progress, on_failed, on_cancelled,
                             on_done, still_valid)
        outcome = {"ok": False}
        task.partial.connect(lambda item: self._deliver(task, handlers.on_partial, item))
        task.progressed.connect(
            lambda done, total, what: self._progress(task, handlers, done, total, what))
        task.finished.connect(lambda result: self._on_result(task, handlers, outcome, result))
        task.failed.connect(lambda message: self._on_failed(task, handlers, message))
        task.cancelled.connect(lambda: self._deliver(task, handlers.on_cancelled))
        task.ended.connect(lambda: self._on_ended(task, handlers, outcome))
        self.current = task
        self.last_error = None
        self.busy_changed.emit(True)
        self.started.emit(task)
        if launch:
            task.start()
        return task

    def cancel(self) -> None:
        """Cancel the current task (if any) and retire it; its late signals are dropped."""
        task, self.current = self.current, None
        if task is None:
            return
        task.cancel()
        if task.is_running():
            self._retired.append(task)
            task.ended.connect(lambda: self._forget(task))
        self.busy_changed.emit(False)

    def shutdown(self) -> bool:
        """Cancel every task of this slot and wait for their threads; True if all ended."""
        tasks = [task for task in (self.current, *self._retired) if task is not None]
        self.current = None
        ok = True
        for task in tasks:
            ok = stop_task(task, self.what) and ok
        self._retired.clear()
        return ok

    # --- delivery (GUI thread) -----------------------------------------------------------
    def _deliver(self, task: BackgroundTask, handler: Callable[..., None] | None,
                 *args: Any) -> None:
        if handler is not None and task is self.current:
            handler(*args)

    def _progress(self, task: BackgroundTask, handlers: _Handlers, done: int, total: int,
                  what: str) -> None:
        if handlers.on_progress is not None and task is self.current:
            handlers.on_progress(done, total, what)

    def _on_result(self, task: BackgroundTask, handlers: _Handlers, outcome: dict[str, bool],
                   result: Any) -> None:
        if task is not self.current:
            return
        if handlers.still_valid is not None and not handlers.still_valid():
            return  # the inputs changed while it ran: a stale result is not shown
        outcome["ok"] = True
        if handlers.on_result is not None:
            handlers.on_result(result)

    def _on_failed(self, task: BackgroundTask, handlers: _Handlers, message: str) -> None:
        if task is not self.current:
            return
        self.last_error = message
        if handlers.on_failed is not None:
            handlers.on_failed(message)
        else:
            from lstm_studio.gui import dialogs

            dialogs.error(self._owner, self.failure_title, message)

    def _on_ended(self, task: BackgroundTask, handlers: _Handlers,
                  outcome: dict[str, bool]) -> None:
        if task is self.current:
            self.current = None
            self.busy_changed.emit(False)
        callback = handlers.on_done
        if callback is not None:
            # Queued: handlers connected to the same signals (charts, a TaskBar) run first.
            ok = outcome["ok"]
            QTimer.singleShot(0, lambda: callback(ok))

    def _forget(self, task: BackgroundTask) -> None:
        if task in self._retired:
            self._retired.remove(task)
