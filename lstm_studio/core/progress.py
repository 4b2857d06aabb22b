"""Qt-free progress reporting and cancellation shared by every long-running core function.

Long functions take `progress: Progress | None`. They call `progress.update(done, total, what)`
between units of work; the call raises `Cancelled` once `cancel()` was requested, so cancelling
needs no extra checks in the work itself. The GUI's progress bar and the CLI's stderr bar are
just listeners.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from lstm_studio.core.errors import Cancelled

Listener = Callable[[int, int, str], None]


class Progress:
    """Carries a listener and a cancel flag into long work; safe to use from worker threads."""

    def __init__(self, listener: Listener | None = None, min_interval: float = 0.05) -> None:
        self._listener = listener
        self._cancel = threading.Event()
        self._pause = threading.Event()
        self._pause.set()  # set = running
        self._min_interval = min_interval
        self._last_report = 0.0

    def cancel(self) -> None:
        self._cancel.set()
        self._pause.set()  # a paused task must wake up to notice the cancel

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def pause(self) -> None:
        self._pause.clear()

    def resume(self) -> None:
        self._pause.set()

    @property
    def paused(self) -> bool:
        return not self._pause.is_set()

    def check(self) -> None:
        """Raise Cancelled if cancelled; block here while paused."""
        if not self._pause.is_set():
            self._pause.wait()
        if self._cancel.is_set():
            raise Cancelled()

    def update(self, done: int, total: int, what: str = "", force: bool = False) -> None:
        """Report progress (throttled to `min_interval` unless forced or finished) and check."""
        self.check()
        if self._listener is None:
            return
        now = time.monotonic()
        if force or done >= total or now - self._last_report >= self._min_interval:
            self._last_report = now
            self._listener(done, total, what)


def report(progress: Progress | None, done: int, total: int, what: str = "") -> None:
    """`progress.update(...)` that tolerates `progress=None`."""
    if progress is not None:
        progress.update(done, total, what)
