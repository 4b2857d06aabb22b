"""Keep Python's cyclic garbage collector from freezing the window around big datasets.

A full collection walks every container object; with 50,000 documents, their index and the
cleaning result that is a few million objects and ~70 ms with the GIL held — a visible stall.
While a background task allocates a dataset the collector is paused (documents hold no
reference cycles, so reference counting frees them), and once the GUI has taken the result
the long-lived objects are moved out of the collector's sight with `gc.freeze()`.

Everything a paused worker allocated is still in the youngest generation when collection
resumes, so the first automatic pass after a 200,000-document load walked over a million
objects (100-300 ms with the GIL held, a stall). The objects alive when the last pause ends
are frozen first: they are the result the worker is about to hand over.

`prefer_gui_thread()` is the other half: a worker busy in Python code keeps the GIL for the
interpreter's switch interval (5 ms) each time the GUI thread asks for it, and painting a
chart asks hundreds of times (every Python paint and boundingRect call), so a 20 ms repaint
took 300 ms while a load or a vocabulary build ran.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Iterator

# How long a thread holds the GIL before handing it to one that waits (Python's default 5 ms).
GUI_SWITCH_INTERVAL_S = 0.001

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
                gc.freeze()  # the worker's result: never walked by a young collection
                gc.enable()


def settle() -> None:
    """Call on the GUI thread after a big result was installed: later full collections skip
    everything alive now."""
    gc.freeze()


def prefer_gui_thread() -> None:
    """Shorten the interpreter's switch interval so the GUI thread gets the GIL back within a
    millisecond while a worker computes (workers lose a few percent of throughput)."""
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL_S:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
