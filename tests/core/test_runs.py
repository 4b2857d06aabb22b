"""The run store: statuses, crash safety, interrupted runs, old single-file runs, and the
pipeline's records."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
import torch
from train_fixtures import quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.core.config import VocabConfig
from lstm_studio.core.errors import Cancelled
from lstm_studio.core.events import RunEnded, RunStarted, StepEvent
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.progress import Progress
from lstm_studio.core.runs import MAX_STEP_POINTS, RunRecord, RunStore, pid_alive

torch.set_num_threads(1)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_store_lives_in_the_user_data_dir(isolated_user_dirs) -> None:
    store = RunStore()
    assert store.root == isolated_user_dirs / "runs"
    record = store.create({"cell": "lstm"}, {"lr": 0.1}, name="first")
    assert (store.root / record.run_id / "run.json").is_file()
    [listed] = store.list_runs()
    assert (listed.run_id, listed.status, listed.name) == (record.run_id, "running", "first")


def test_a_running_run_of_a_dead_process_shows_as_interrupted(tmp_path) -> None:
    store = RunStore(tmp_path)
    alive = store.create({}, {})
    dead = store.create({}, {})
    dead.pid = dead_pid()
    store.save(dead)
    finished = store.create({}, {})
    finished.pid = dead.pid
    finished.status = "finished"
    store.save(finished)
    statuses = {r.run_id: r.status for r in store.list_runs()}
    assert statuses == {alive.run_id: "running", dead.run_id: "interrupted",
                        finished.run_id: "finished"}
    assert store.get(dead.run_id).status == "interrupted"
    assert "ended without a word" in store.get(dead.run_id).message
    assert not pid_alive(dead.pid) and pid_alive(alive.pid)


def test_foreign_files_are_skipped_and_records_are_always_complete_json(tmp_path) -> None:
    store = RunStore(tmp_path)
    (tmp_path / "junk.json").write_text("{half", encoding="utf-8")
    record = store.create({}, {})
    for step in range(1, 50):
        record.add_step(step, 0.5, 1.0, 0.01)
    store.save(record)
    assert [r.run_id for r in store.list_runs()] == [record.run_id]
    data = json.loads((tmp_path / record.run_id / "run.json").read_text(encoding="utf-8"))
    assert data["steps"]["step"][:3] == [1, 2, 3] and "folder" not in data
    assert not list(tmp_path.glob("**/.*.tmp"))
    assert store.rename(record.run_id, "renamed").name == "renamed"
    assert store.delete(record.run_id) and store.list_runs() == []
    assert not (tmp_path / record.run_id).exists() and (tmp_path / "junk.json").exists()


def test_runs_recorded_as_single_files_by_earlier_versions_are_still_read(tmp_path) -> None:
    old = {"run_id": "20250101-120000-abcdef", "created": "2025-01-01T12:00:00+00:00",
           "status": "finished", "model_config": {"cell": "gru"}, "history": [{"epoch": 1}],
           "checkpoint_path": "/models/old.safetensors", "pid": dead_pid(), "host": ""}
    (tmp_path / f"{old['run_id']}.json").write_text(json.dumps(old), encoding="utf-8")
    crashed = {**old, "run_id": "20250101-130000-fedcba", "status": "running",
               "created": "2025-01-01T13:00:00+00:00"}
    (tmp_path / f"{crashed['run_id']}.json").write_text(json.dumps(crashed), encoding="utf-8")
    store = RunStore(tmp_path)
    new = store.create({"cell": "lstm"}, {})
    listed = store.list_runs()
    assert [r.run_id for r in listed] == [new.run_id, crashed["run_id"], old["run_id"]]
    assert [r.status for r in listed] == ["running", "interrupted", "finished"]
    legacy = store.get(old["run_id"])
    assert legacy.folder == "" and legacy.model_config == {"cell": "gru"}
    assert not legacy.resumable  # no folder, no checkpoint
    store.rename(old["run_id"], "kept")  # written back where it was, as one file
    assert json.loads((tmp_path / f"{old['run_id']}.json").read_text())["name"] == "kept"
    assert not (tmp_path / old["run_id"]).exists()
    assert store.delete(old["run_id"]) and not (tmp_path / f"{old['run_id']}.json").exists()
    assert store.get("../" + new.run_id) is None  # ids only, never paths


def test_step_curves_are_downsampled() -> None:
    record = RunRecord(run_id="x", created="now")
    for step in range(1, 10 * MAX_STEP_POINTS):
        record.add_step(step, float(step), 0.0, 0.1)
    steps = record.steps["step"]
    assert len(steps) <= MAX_STEP_POINTS
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert record.steps["loss"] == [float(s) for s in steps]
    assert steps[-1] > 9 * MAX_STEP_POINTS


def test_training_records_a_finished_run() -> None:
    steps: list[int] = []
    result = train_model(sentiment_dataset(40, 10, 10), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=2),
                         on_event=lambda e: isinstance(e, StepEvent) and steps.append(e.loss))
    record = RunStore().get(result.run_id)
    assert record.status == "finished"
    assert [h["epoch"] for h in record.history] == [1, 2]
    assert record.summary["valid"]["accuracy"] == result.valid["accuracy"]
    assert record.model_config["cell"] == "lstm" and record.train_config["epochs"] == 2
    assert record.steps["loss"] == steps and record.checkpoint_path is None


def test_a_stopped_run_is_recorded_as_stopped() -> None:
    progress = Progress()

    def on_event(event: object) -> None:
        if isinstance(event, StepEvent) and event.global_step == 2:
            threading.Thread(target=progress.cancel).start()
            threading.Event().wait(0.1)

    result = train_model(sentiment_dataset(80, 10, 0), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=20, batch_size=4), progress=progress,
                         on_event=on_event)
    assert result.status == "stopped"
    assert result.test is None and result.valid is not None
    assert RunStore().get(result.run_id).status == "stopped"


def test_a_listener_that_cancels_leaves_a_stopped_record_not_a_running_one() -> None:
    started: list[str] = []

    def on_event(event: object) -> None:
        if isinstance(event, RunStarted):
            started.append(event.run_id)
        if isinstance(event, RunEnded):
            raise Cancelled()

    with pytest.raises(Cancelled):
        train_model(sentiment_dataset(20, 6, 0), VocabConfig(), small_model_config(),
                    quick_train_config(epochs=1), on_event=on_event)
    assert RunStore().get(started[0]).status == "stopped"


def test_stopping_after_an_epoch_returns_that_epochs_figures_without_reevaluating() -> None:
    progress = Progress()

    def on_event(event: object) -> None:
        if isinstance(event, StepEvent) and event.epoch == 2 and event.step == 1:
            progress.cancel()

    result = train_model(sentiment_dataset(80, 10, 0), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=20, batch_size=4), progress=progress,
                         on_event=on_event)
    assert result.status == "stopped" and len(result.history) == 1
    # The figures come from the epoch-1 validation (a fresh evaluation carries no "epoch").
    assert result.valid["epoch"] == 1
    assert result.valid["accuracy"] == result.history[0]["valid_accuracy"]
    assert result.test is None
