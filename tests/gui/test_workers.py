"""The one background-task lifecycle (TaskSlot): each path once, with real threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from lstm_studio.core.errors import UserError
from lstm_studio.gui.workers import TaskSlot


@pytest.fixture
def slot(qtbot: Any) -> TaskSlot:
    owner = QWidget()
    qtbot.addWidget(owner)
    return TaskSlot(owner, "Work", "Work failed")


def wait_done(qtbot: Any, done: list[bool]) -> None:
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)


def test_result_progress_and_partials_reach_the_handlers(qtbot: Any, slot: TaskSlot) -> None:
    def work(progress: Any, emit: Any) -> str:
        emit("half")
        progress.update(2, 2, "counting", force=True)
        return "answer"

    seen: dict[str, Any] = {"partials": [], "progress": []}
    done: list[bool] = []
    slot.start(work, lambda result: seen.setdefault("result", result),
               on_partial=seen["partials"].append,
               on_progress=lambda d, t, w: seen["progress"].append((d, t, w)),
               on_done=done.append)
    assert slot.is_busy()
    wait_done(qtbot, done)
    assert seen["result"] == "answer" and seen["partials"] == ["half"]
    assert (2, 2, "counting") in seen["progress"]
    assert done == [True] and not slot.is_busy()


def test_a_new_start_retires_the_old_task_and_drops_its_result(qtbot: Any,
                                                              slot: TaskSlot) -> None:
    gate = threading.Event()
    results: list[str] = []
    done: list[bool] = []

    def slow(progress: Any, emit: Any) -> str:
        gate.wait(5)
        return "old"  # ignores cancel on purpose: its late result must still be dropped

    slot.start(slow, results.append, on_done=done.append)
    slot.start(lambda progress, emit: "new", results.append, on_done=done.append)
    qtbot.waitUntil(lambda: results == ["new"], timeout=10_000)
    gate.set()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=10_000)
    assert results == ["new"]
    assert sorted(done) == [False, True]


def test_a_result_whose_inputs_changed_is_not_shown(qtbot: Any, slot: TaskSlot) -> None:
    results: list[str] = []
    done: list[bool] = []
    slot.start(lambda progress, emit: "stale", results.append, on_done=done.append,
               still_valid=lambda: False)
    wait_done(qtbot, done)
    assert results == [] and done == [False]


def test_cancel_reports_cancelled_and_not_ok(qtbot: Any, slot: TaskSlot) -> None:
    started = threading.Event()
    cancelled: list[bool] = []
    done: list[bool] = []

    def work(progress: Any, emit: Any) -> str:
        started.set()
        while True:
            progress.check()  # raises Cancelled once cancel() was asked for

    task = slot.start(work, on_cancelled=lambda: cancelled.append(True), on_done=done.append)
    assert started.wait(5)
    task.cancel()  # cancelling the task itself keeps it current, so it reports
    wait_done(qtbot, done)
    assert cancelled == [True] and done == [False]


def test_failures_go_to_the_handler_or_to_one_dialog(qtbot: Any, slot: TaskSlot,
                                                    dialog_responder: Any) -> None:
    def broken(progress: Any, emit: Any) -> None:
        raise UserError("The file is empty.")

    messages: list[str] = []
    done: list[bool] = []
    slot.start(broken, on_failed=messages.append, on_done=done.append)
    wait_done(qtbot, done)
    assert messages == ["The file is empty."] and slot.last_error == "The file is empty."
    assert dialog_responder.texts("error") == []

    done.clear()
    slot.start(broken, on_done=done.append)
    wait_done(qtbot, done)
    assert dialog_responder.texts("error") == ["The file is empty."]
    assert dialog_responder.calls[-1].title == "Work failed"


def test_a_bug_in_the_task_becomes_a_message_not_a_crash(qtbot: Any, slot: TaskSlot) -> None:
    messages: list[str] = []
    done: list[bool] = []
    slot.start(lambda progress, emit: 1 / 0, on_failed=messages.append, on_done=done.append)
    wait_done(qtbot, done)
    assert messages and messages[0].startswith("Unexpected error (ZeroDivisionError)")


def test_shutdown_waits_for_retired_tasks_too(qtbot: Any, slot: TaskSlot) -> None:
    running = threading.Event()

    def work(progress: Any, emit: Any) -> None:
        running.set()
        while True:
            progress.check()

    first = slot.start(work)
    assert running.wait(5)
    running.clear()
    second = slot.start(work)  # the first is retired, still running until it sees the cancel
    assert running.wait(5)
    assert slot.shutdown()
    assert not first.is_running() and not second.is_running()
    assert not slot.is_busy()
