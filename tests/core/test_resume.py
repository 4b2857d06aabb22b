"""Stopping through the run folder's stop file, then resuming in the same process: the run goes
on with the uninterrupted run's losses; the live log; batch plans data-parallel processes can
split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import (
    quick_train_config,
    small_model_config,
    write_split_files,
)

from lstm_studio.core.config import CleaningConfig, DataConfig, VocabConfig
from lstm_studio.core.errors import DataError
from lstm_studio.core.events import StepEvent
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.readers import load_configured
from lstm_studio.core.resume import load_run_data, open_resume, resume_training
from lstm_studio.core.run_dir import RunDir
from lstm_studio.core.run_log import LiveLog, cut_log, read_log
from lstm_studio.core.runs import RunStore
from lstm_studio.core.sampling import BucketSampler, EvenShards

torch.set_num_threads(1)


def write_sources(folder: Path) -> DataConfig:
    return DataConfig(sources=write_split_files(folder, (("train", 64, 1), ("valid", 16, 2))))


def train(data: DataConfig, on_event=None):
    cleaning = CleaningConfig(detect_language=False)
    from lstm_studio.core.cleaning import clean_dataset

    dataset = clean_dataset(load_configured(data), cleaning).dataset
    return train_model(dataset, VocabConfig(), small_model_config(dropout=0.3),
                       quick_train_config(epochs=3, batch_size=8), cleaning, data,
                       on_event=on_event)


def losses(run_id: str) -> dict[int, float]:
    folder = RunStore().run_dir(run_id).log
    return {line["global_step"]: line["loss"] for line in read_log(folder).lines
            if line["event"] == "step"}


def test_stop_file_mid_epoch_then_resume_continues_the_same_curve(tmp_path: Path) -> None:
    data = write_sources(tmp_path)
    whole = train(data)
    assert whole.status == "finished"

    def stop_in_epoch_two(event: object) -> None:
        if isinstance(event, StepEvent) and event.epoch == 2 and event.step == 3:
            RunDir(RunStore().run_dir(event_run[0]).path).request_stop()

    event_run: list[str] = []

    def on_event(event: object) -> None:
        if hasattr(event, "run_id") and not event_run:
            event_run.append(event.run_id)  # RunStarted
        stop_in_epoch_two(event)

    stopped = train(data, on_event)
    assert stopped.status == "stopped" and "epoch 2, step 3" in stopped.message
    record = RunStore().get(stopped.run_id)
    assert record.resumable and record.last_checkpoint["epoch_step"] == 3
    assert not RunDir.at(record.folder).stop_requested()  # cleared when the run ended

    plan = open_resume(stopped.run_id)
    assert plan.resumed_from == {"run": stopped.run_id, "epoch": 1, "epoch_step": 3,
                                 "global_step": 11}
    resumed = resume_training(plan, load_run_data(plan))
    assert resumed.status == "finished" and resumed.run_id == stopped.run_id
    expected, got = losses(whole.run_id), losses(stopped.run_id)
    assert sorted(got) == sorted(expected) == list(range(1, 25))
    worst = max(abs(got[step] - expected[step]) for step in range(12, 25))
    assert worst <= 1e-5
    assert [h["train_loss"] for h in resumed.history] == pytest.approx(
        [h["train_loss"] for h in whole.history], abs=1e-6)
    final = RunStore().get(stopped.run_id)
    assert final.status == "finished" and final.resumes[0]["previous_status"] == "stopped"
    kinds = [line["event"] for line in read_log(RunDir.at(final.folder).log).lines]
    assert kinds.count("resume") == 1 and kinds[-1] == "end" and kinds.count("end") == 1


def test_resuming_on_changed_data_is_refused_and_leaves_the_run_as_it_was(
        tmp_path: Path) -> None:
    data = write_sources(tmp_path)
    progress_stop: list[str] = []

    def on_event(event: object) -> None:
        if hasattr(event, "run_id"):
            progress_stop.append(event.run_id)
        if isinstance(event, StepEvent) and event.global_step == 2:
            RunStore().run_dir(progress_stop[0]).request_stop()

    stopped = train(data, on_event)
    Path(data.sources[0]).write_text("__label__pos good food\n__label__neg bad food\n"
                                     * 20, encoding="utf-8")
    plan = open_resume(stopped.run_id)
    with pytest.raises(DataError, match="not what the run was trained on"):
        resume_training(plan, load_run_data(plan))
    record = RunStore().get(stopped.run_id)
    assert record.status == "stopped" and record.resumes == []
    assert record.message.startswith("Resuming failed: The data is not what")


def test_the_live_log_reader_waits_for_whole_lines_and_notices_a_replaced_file(
        tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = LiveLog(path)
    for step in (1, 2, 3):
        log.write({"event": "step", "global_step": step, "loss": float("nan")})
    log.write({"event": "epoch", "epoch": 1})
    chunk = read_log(path)
    assert [line.get("global_step") for line in chunk.lines] == [1, 2, 3, None]
    assert chunk.lines[0]["loss"] is None  # NaN is not JSON
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"event": "step", "global_st')  # a writer caught mid-line
    later = read_log(path, chunk.offset, chunk.file_id)
    assert later.lines == [] and later.offset == chunk.offset and not later.reset
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('ep": 4}\n')
    assert read_log(path, later.offset, later.file_id).lines == [
        {"event": "step", "global_step": 4}]
    log.close()
    assert cut_log(path, global_step=2, epoch=0) == 2  # the half line and later are gone
    replaced = read_log(path, later.offset, later.file_id)
    assert replaced.reset and [line["global_step"] for line in replaced.lines] == [1, 2]
    assert json.loads(path.read_text().splitlines()[-1])["global_step"] == 2


def test_even_shards_give_every_process_part_of_every_batch() -> None:
    lengths = [3, 5, 2, 8, 1, 4, 4, 6, 7, 2, 9]  # 11 sequences, batches of 4: 4, 4, 3
    inner = BucketSampler(lengths, 4, seed=1)
    for parts in (1, 2, 3, 4):
        plan = EvenShards(inner, parts).batches(2)
        assert sorted(i for batch in plan for i in batch) == list(range(11))
        assert all(len(batch) >= parts for batch in plan)
        assert plan == EvenShards(inner, parts).batches(2)
    assert EvenShards(inner, 4).batches(2) != inner.batches(2)  # the 3 joined a neighbour
    assert EvenShards(inner, 3).batches(2) == inner.batches(2)
