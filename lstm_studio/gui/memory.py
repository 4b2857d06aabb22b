"""Keep Python's cyclic garbage collector from freezing the window around big datasets.

A full collection walks every container object; with 50,000 documents, their index and the
cleaning result that is a few million objects and ~70 ms with the GIL held — a visible stall.
While a background task allocates a dataset the collector is paused (documents hold no
reference cycles, so reference counting frees them), and once the GUI has taken the result
the long-lived objects are moved out of the collector's sight with `gc.freeze()`.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_paused = 0
_was_enabled = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic collection for the duration (nestable across threads)."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def settle() -> None:
    """Call on the GUI thread after a big result was installed: later full collections skip
    everything alive now."""
    gc.freeze()
