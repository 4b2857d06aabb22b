"""The training worker function the Train tab runs in its TaskSlot (no Qt in here).

`train_model` calls `on_event` for every step; an `EventBatcher` collects StepEvents and hands
them on in lists at most ~10 times a second (epoch and run events go at once), so a fast loop
sends a handful of queued signals per second instead of hundreds.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)
from lstm_studio.core.errors import Cancelled
from lstm_studio.core.events import RunEnded, RunStarted, StepEvent
from lstm_studio.core.progress import Progress

if TYPE_CHECKING:  # torch-backed: imported inside the job, not when the window opens
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.dataset import Dataset
    from lstm_studio.core.pipeline import TrainResult
    from lstm_studio.core.runs import RunRecord

BATCH_INTERVAL_S = 0.1  # at most ~10 event batches per second reach the GUI
# What the worker hands to Qt: lists of core.events objects (StepEvent, EpochEvent,
# RunStarted, RunEnded); the Train tab dispatches on their types.
Emit = Callable[[object], None]


class EventBatcher:
    """Runs in the worker: buffers StepEvents, emits lists of events at most every interval."""

    def __init__(self, emit: Emit, interval: float = BATCH_INTERVAL_S) -> None:
        self._emit = emit
        self._interval = interval
        self._buffer: list[object] = []
        self._last = 0.0
        self._lock = threading.Lock()
        self.batches = 0

    def push(self, event: object) -> None:
        with self._lock:
            self._buffer.append(event)
            now = time.monotonic()
            urgent = not isinstance(event, StepEvent)
            if not (urgent or now - self._last >= self._interval):
                return
            self._last = now
            batch, self._buffer = self._buffer, []
        self.batches += 1
        self._emit(batch)

    def flush(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if batch:
            self.batches += 1
            self._emit(batch)


class ShutdownRequested(Cancelled):
    """Raised from the event callback once the trainer has stopped because the window closes.

    `train_model` evaluates the validation and test splits after a stop, which can take far
    longer than the 2 s a closing window may wait on a large dataset. Raising here skips that
    evaluation; the job then writes the run back to the store as "stopped" (the pipeline
    records an exception as "failed").
    """


@dataclass
class TrainingInputs:
    """Everything one run reads, captured on the GUI thread when Start is clicked."""

    dataset: Dataset
    vocab_config: VocabConfig
    model_config: ModelConfig
    train_config: TrainConfig
    cleaning_config: CleaningConfig | None
    data_config: DataConfig
    # The token store behind `dataset` when the window browses the corpus from one
    # (`AppState.training_store()`): the run reads that very store, never the texts.
    store: TokenStore | None = None


def recorded_settings(inputs: TrainingInputs) -> tuple[DataConfig, CleaningConfig | None]:
    """The data and cleaning settings a run records (a resume rebuilds its data from them).

    A corpus browsed from its store is trained with the cleaning that store holds (none
    unless the Clean tab cleaned it) and recorded with the data settings it was built from,
    whatever "Train from" says now, so that resuming the run finds the same store.
    """
    if inputs.store is None:
        return inputs.data_config, inputs.cleaning_config
    from lstm_studio.core.config import config_from_dict
    from lstm_studio.core.corpus.store_report import store_cleaning_config

    built_from = inputs.store.meta.get("data_config")
    data = (config_from_dict(DataConfig, built_from) if built_from is not None
            else inputs.data_config)
    return data, store_cleaning_config(inputs.store)


def corpus_of(inputs: TrainingInputs, progress: Progress
              ) -> tuple[Dataset | TokenStore, CleaningConfig | None, DataConfig]:
    """What `train_model` reads, with the cleaning applied and the data settings: the store
    the window browses (never its texts), else as the Data tab's "Train from" decides (the
    store prepared or found in the cache, or the in-memory dataset as it is)."""
    from lstm_studio.core.corpus.choice import load_for_training, use_store

    if inputs.store is not None:
        data, cleaning = recorded_settings(inputs)
        return inputs.store, cleaning, data
    if use_store(inputs.data_config):
        prepared = load_for_training(inputs.data_config, inputs.cleaning_config, progress,
                                     progress)
        return prepared.corpus, prepared.cleaning, inputs.data_config
    return inputs.dataset, inputs.cleaning_config, inputs.data_config


@contextlib.contextmanager
def _ends_cleanly(batcher: EventBatcher, stopped: list[RunRecord | None]) -> Iterator[None]:
    """Around a job's training: the events still buffered reach the GUI, and a run ended by
    the window closing is written back as "stopped" (see ShutdownRequested)."""
    try:
        yield
    except ShutdownRequested:
        _mark_stopped(stopped[0] if stopped else None)
        raise
    finally:
        batcher.flush()


def _read_run(run_id: str | None) -> RunRecord | None:
    if not run_id:
        return None
    from lstm_studio.core.runs import RunStore

    return RunStore().get(run_id)


def _mark_stopped(record: RunRecord | None) -> None:
    if record is None:
        return
    from lstm_studio.core.runs import RunStore

    record.status = "stopped"
    record.message = "Stopped because LSTM Studio was closed during training."
    RunStore().save(record)


def past_events(folder: str, checkpoint_epoch: int, checkpoint_step: int) -> list[object]:
    """A run's logged steps and epochs up to its checkpoint, as events (what the plots of a
    resumed run show before the new steps arrive)."""
    from lstm_studio.core.run_dir import RunDir
    from lstm_studio.core.run_log import line_event, read_log

    events: list[object] = []
    for line in read_log(RunDir.at(folder).log).lines:
        event = line_event(line)
        if isinstance(event, StepEvent):
            if event.global_step <= checkpoint_step:
                events.append(event)
        elif event is not None and event.epoch <= checkpoint_epoch:
            events.append(event)
    return events


def resume_job(folder: str, closing: threading.Event | None = None
               ) -> Callable[[Progress, Emit], TrainResult]:
    """The worker function of Resume: the run's data read and cleaned again, its curves so
    far, then `resume_training` from its checkpoint (core/resume.py), with batched events."""

    def job(progress: Progress, emit: Emit) -> TrainResult:
        from lstm_studio.core.resume import load_run_data, open_resume, resume_training
        from lstm_studio.core.runs import read_run

        plan = open_resume(folder)
        dataset = load_run_data(plan, progress, progress)
        emit(past_events(folder, plan.checkpoint.epoch, plan.checkpoint.global_step))
        batcher = EventBatcher(emit)
        stopped: list[RunRecord | None] = []

        def on_event(event: object) -> None:
            batcher.push(event)
            if isinstance(event, RunEnded) and closing is not None and closing.is_set():
                stopped.append(read_run(plan.record.folder))
                raise ShutdownRequested()

        with _ends_cleanly(batcher, stopped):
            return resume_training(plan, dataset, progress=progress, on_event=on_event)

    return job


def training_job(inputs: TrainingInputs, closing: threading.Event | None = None
                 ) -> Callable[[Progress, Emit], TrainResult]:
    """The worker function: `train_model` with batched events (see EventBatcher).

    When `closing` is set (the window closes) the run ends right after the trainer stops,
    without the final evaluation (see ShutdownRequested).
    """

    def job(progress: Progress, emit: Emit) -> TrainResult:
        from lstm_studio.core.config import config_to_dict
        from lstm_studio.core.pipeline import run_configs, train_model
        from lstm_studio.core.run_session import RunOptions, RunSession
        from lstm_studio.core.runs import RunStore

        # Recorded before the vocabulary and the encoding (seconds on a large dataset), so a
        # window killed meanwhile leaves the run listed as interrupted.
        session = RunSession.start(
            RunStore(), config_to_dict(inputs.model_config), config_to_dict(inputs.train_config),
            configs=run_configs(inputs.vocab_config, *recorded_settings(inputs)))
        batcher = EventBatcher(emit)
        run_id: list[str] = []
        stopped: list[RunRecord | None] = []

        def on_event(event: object) -> None:
            if isinstance(event, RunStarted):
                run_id.append(event.run_id)
            batcher.push(event)
            if isinstance(event, RunEnded) and closing is not None and closing.is_set():
                stopped.append(_read_run(run_id[0] if run_id else None))
                raise ShutdownRequested()

        with _ends_cleanly(batcher, stopped), session.recording():
            corpus, cleaning, data_config = corpus_of(inputs, progress)
            return train_model(corpus, inputs.vocab_config, inputs.model_config,
                               inputs.train_config, cleaning_config=cleaning,
                               data_config=data_config, progress=progress,
                               on_event=on_event, options=RunOptions(session=session))

    return job
