"""The Train tab following a headless run: Open run… on the folder a background
`lstm-studio train` is writing; its curves and epoch table grow; Stop ends that run with a
checkpoint; Resume continues it in the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from train_fixtures import write_split_files

from lstm_studio.core.run_dir import RunDir
from lstm_studio.core.run_log import LiveLog
from lstm_studio.core.runs import RunStore, read_run
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.tab import TrainTab


@pytest.fixture
def background_run(tmp_path: Path, isolated_user_dirs: Path) -> Any:
    """A headless run with many epochs, writing its folder in the user's run history."""
    paths = write_split_files(tmp_path, (("train", 160, 1), ("valid", 32, 2)))
    process = subprocess.Popen(
        [sys.executable, "-m", "lstm_studio", "train", *paths, "--lang", "any", "--epochs",
         "400", "--batch-size", "4", "--embedding", "8", "--hidden", "8", "--threads", "1",
         "--out", str(tmp_path / "model.safetensors")],
        env={**os.environ, "LSTM_STUDIO_HOME": str(isolated_user_dirs),
             "OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def make_tab(qtbot: Any) -> TrainTab:
    tab = TrainTab(AppState())
    qtbot.addWidget(tab, before_close_func=lambda widget: widget.shutdown())
    tab.resize(1280, 800)
    tab.show()
    return tab


def test_the_window_follows_a_headless_run_stops_it_and_resumes_it(
        qtbot: Any, background_run: subprocess.Popen, isolated_user_dirs: Path,
        dialog_responder: Any, tmp_path: Path) -> None:
    runs = isolated_user_dirs / "runs"
    qtbot.waitUntil(lambda: any(runs.glob("*/run.json")), timeout=30_000)
    folder = str(next(runs.glob("*/run.json")).parent)
    tab = make_tab(qtbot)
    dialog_responder.answers["open_folder"] = folder
    tab.training.open_run_button.click()  # Open run… → the folder dialog → following
    view = tab.follow
    assert tab.right.currentWidget() is view

    # The curves gain points while the run goes on, and the epoch table rows.
    qtbot.waitUntil(lambda: view.plots.step_count() > 0, timeout=30_000)
    first = view.plots.step_count()
    qtbot.waitUntil(lambda: view.plots.step_count() >= first + 40
                    and view.table.rowCount() >= 2, timeout=30_000)
    assert view.record is not None and view.record.status == "running"
    assert view.stop_button.isEnabled() and not view.resume_button.isVisible()
    assert "Running in process" in view.status.text()
    assert view.table.cell_text(0, 0) == "1" and view.progress_bar.format().startswith("Epoch")
    view.grab().save(str(tmp_path / "following.png"))

    view.stop_button.click()  # writes the stop file; the run stops after its step
    qtbot.waitUntil(lambda: background_run.poll() is not None, timeout=30_000)
    assert background_run.returncode == 0, background_run.stderr.read()
    qtbot.waitUntil(lambda: view.record is not None and view.record.status == "stopped",
                    timeout=10_000)
    assert view.resume_button.isVisible() and "Resume continues from" in view.status.text()
    record = read_run(folder)
    assert record.resumable and not RunDir.at(folder).stop_requested()
    steps_at_stop = record.last_checkpoint["global_step"]

    # Resume: the run continues in this window from its checkpoint, its old curve first.
    view.resume_button.click()
    assert tab.right.currentWidget() is tab.training and tab.is_training()
    qtbot.waitUntil(lambda: tab.training.plots.step_count() > steps_at_stop + 5,
                    timeout=60_000)
    tab.training.stop()
    qtbot.waitUntil(lambda: not tab.is_training(), timeout=30_000)
    assert tab.training.result is not None and tab.training.result.status == "stopped"
    final = RunStore().get(Path(folder).name)
    assert final.resumes[0]["global_step"] == steps_at_stop
    assert final.last_checkpoint["global_step"] > steps_at_stop
    assert dialog_responder.texts("error") == []


def test_a_folder_that_is_not_a_run_is_refused_and_an_interrupted_run_offers_resume(
        qtbot: Any, tmp_path: Path, dialog_responder: Any) -> None:
    tab = make_tab(qtbot)
    assert not tab.follow_run(str(tmp_path))
    assert "is not a run folder" in dialog_responder.texts("error")[0]
    assert tab.right.currentWidget() is tab.training

    # A run whose process vanished after its first checkpoint, as the folder shows it.
    store = RunStore()
    record = store.create({"task": "classify", "cell": "lstm"}, {"epochs": 3})
    record.pid = 2 ** 22 + 7  # no such process
    record.last_checkpoint = {"epoch": 1, "epoch_step": 0, "global_step": 4, "time": ""}
    store.save(record)
    log = LiveLog(RunDir.at(record.folder).log)
    log.write({"event": "start", "run_id": record.run_id, "total_steps": 12})
    for step in range(1, 5):
        log.write({"event": "step", "epoch": 1, "step": step, "steps_per_epoch": 4,
                   "global_step": step, "loss": 1.0 / step, "accuracy": 0.5,
                   "grad_norm": 1.0, "lr": 0.01, "tokens_per_s": 100.0})
    log.write({"event": "epoch", "epoch": 1, "epochs": 3, "train_loss": 0.5,
               "train_accuracy": 0.5, "valid_loss": 0.6, "valid_accuracy": 0.7,
               "valid_macro_f1": 0.7, "valid_perplexity": None, "seconds": 1.0,
               "improved": True})
    log.close()
    assert tab.follow_run(record.folder)
    view = tab.follow
    qtbot.waitUntil(lambda: view.record is not None and view.plots.step_count() == 4)
    assert view.record.status == "interrupted" and view.table.rowCount() == 1
    assert view.resume_button.isVisible() and not view.stop_button.isVisible()
    assert "Interrupted: The process ended without a word" in view.status.text()
    tab.pages.setCurrentIndex(1)
    tab.compare.refresh()
    tab.compare.select(record.run_id)
    assert tab.compare.resume_button.isEnabled() and tab.compare.follow_button.isEnabled()
    view.close_button.click()
    assert tab.right.currentWidget() is tab.training and not view.follower.is_attached()
