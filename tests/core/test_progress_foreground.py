"""`foreground()`: a worker that reaches a progress check waits while another thread holds the
foreground (the GUI thread painting a table), and never longer than the cap."""

from __future__ import annotations

import threading

import pytest

from lstm_studio.core import progress as progress_module
from lstm_studio.core.progress import Progress, foreground, foreground_held


def test_a_worker_waits_at_its_check_until_the_foreground_is_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "FOREGROUND_WAIT_S", 30.0)
    events: list[str] = []
    entered = threading.Event()

    def worker() -> None:
        entered.set()
        Progress().update(1, 2, "step")  # update() checks, so every worker's report yields
        events.append("checked")

    thread = threading.Thread(target=worker)
    with foreground():
        assert foreground_held()
        thread.start()
        entered.wait(10)
        thread.join(0.2)  # a check that did not wait would have returned by now
        assert thread.is_alive()
        events.append("left")
    thread.join(10)
    assert events == ["left", "checked"]
    assert not foreground_held()


def test_nested_blocks_hold_until_the_outer_one_ends_and_a_wait_is_capped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "FOREGROUND_WAIT_S", 0.01)
    with foreground():
        with foreground():
            assert foreground_held()
        assert foreground_held()
        Progress().check()  # capped: a forgotten block slows work down, never stops it
    assert not foreground_held()


def test_a_cancel_still_raises_after_a_foreground_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    from lstm_studio.core.errors import Cancelled

    monkeypatch.setattr(progress_module, "FOREGROUND_WAIT_S", 0.01)
    cancelled = Progress()
    cancelled.cancel()
    with foreground(), pytest.raises(Cancelled):
        cancelled.check()
