"""Qt-free progress reporting and cancellation shared by every long-running core function.

Long functions take `progress: Progress | None`. They call `progress.update(done, total, what)`
between units of work; the call raises `Cancelled` once `cancel()` was requested, so cancelling
needs no extra checks in the work itself. The GUI's progress bar and the CLI's stderr bar are
just listeners.

`foreground()` lets one thread (the GUI thread, while it paints a table whose every cell is a
Python call) ask every worker to step aside: a worker that reaches `check()` meanwhile waits
there, holding no interpreter lock, so the painting thread does not queue for the lock at
each cell while a pure-Python worker runs (150 cells cost 150-300 ms that way on a busy
2-core machine).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from lstm_studio.core.errors import Cancelled

Listener = Callable[[int, int, str], None]

# Longest a worker waits for the foreground in one check: a forgotten foreground block slows
# the work down, it never stops it.
FOREGROUND_WAIT_S = 0.25
_foreground_idle = threading.Event()
_foreground_idle.set()  # set = no thread asked for the foreground
_foreground_depth = 0
_foreground_lock = threading.Lock()


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    """Workers that call `check()` (or `update()`) wait while the block runs (nestable)."""
    global _foreground_depth
    with _foreground_lock:
        _foreground_depth += 1
        _foreground_idle.clear()
    try:
        yield
    finally:
        with _foreground_lock:
            _foreground_depth -= 1
            if _foreground_depth == 0:
                _foreground_idle.set()


def foreground_held() -> bool:
    """True while some thread runs a `foreground()` block."""
    return not _foreground_idle.is_set()


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
        """Raise Cancelled if cancelled; block here while paused or another thread holds the
        foreground."""
        if not _foreground_idle.is_set():
            _foreground_idle.wait(FOREGROUND_WAIT_S)
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
