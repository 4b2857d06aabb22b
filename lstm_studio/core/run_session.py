"""A recorded run while it trains: its record, live log, checkpoints and stop file, together.

`RunSession.start` records the run the moment a command or the window asks for it (before the
data is even read), so a run killed at any point is listed. The pipeline then feeds the
session every trainer event (`emit`), runs the trainer with its callbacks (`callbacks`) and
ends it (`finish` / `fail`). Only the main process of a data-parallel run has a session; the
other processes take part in checkpoints through `checkpoint_callbacks` without writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from lstm_studio.core.errors import Cancelled, UserError
from lstm_studio.core.events import RunStarted
from lstm_studio.core.run_dir import RunDir
from lstm_studio.core.run_log import LiveLog, cut_log
from lstm_studio.core.runs import RunRecord, RunRecorder, RunStore
from lstm_studio.core.trainer import TrainerCallback

if TYPE_CHECKING:
    from lstm_studio.core.dataset import Document
    from lstm_studio.core.run_checkpoint import TrainingCheckpoint
    from lstm_studio.core.trainer import Trainer
    from lstm_studio.core.vocab import Vocabulary
    from lstm_studio.core.world import World


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunOptions:
    """How `train_model` runs beyond the settings: a run recorded before the data was read
    (`session`), a checkpoint to continue and the data fingerprint it expects, the processes
    training together, how often to checkpoint, and an Event that asks the run to stop."""

    session: RunSession | None = None
    resume: TrainingCheckpoint | None = None
    fingerprint: str | None = None
    world: World | None = None
    checkpoint_minutes: float | None = None
    stop_signal: threading.Event | None = None


def data_fingerprint(splits: Sequence[Sequence[Document]], vocab: Vocabulary) -> str:
    """A short hash of the prepared splits (texts, labels) and the vocabulary: a resumed run
    must train on exactly the data its checkpoint was trained on."""
    digest = hashlib.sha256()
    for docs in splits:
        digest.update(f"split {len(docs)}\n".encode())
        for doc in docs:
            digest.update(f"{doc.label}\t{doc.text}\n".encode())
    digest.update("\n".join(vocab.itos).encode())
    return digest.hexdigest()[:16]


class RunSession:
    """Writes one run's folder; create with `start` (a new run) or `reopen` (a resumed one)."""

    def __init__(self, store: RunStore, record: RunRecord,
                 checkpoint_minutes: float | None = None) -> None:
        self.store = store
        self.record = record
        self.dir = RunDir.at(record.folder)
        self.recorder = RunRecorder(store, record)
        self.log = LiveLog(self.dir.log)
        self.checkpoint_minutes = checkpoint_minutes

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @classmethod
    def start(cls, store: RunStore, model_config: dict, train_config: dict, name: str = "", *,
              configs: dict[str, Any] | None = None,
              checkpoint_minutes: float | None = None) -> RunSession:
        """A new run in `store`, marked running; `configs` sets record fields: the vocab,
        data and cleaning configs (as dicts) that `train --resume` needs, the model file."""
        record = store.create(model_config, train_config, name, configs)
        return cls(store, record, checkpoint_minutes)

    @classmethod
    def reopen(cls, store: RunStore, record: RunRecord, checkpoint: TrainingCheckpoint,
               processes: int, checkpoint_minutes: float | None = None) -> RunSession:
        """Continue `record` from `checkpoint`: running again, its log cut back to it."""
        import os
        import socket

        session = cls(store, record, checkpoint_minutes)
        session.dir.clear_stop()
        session.dir.remove_stale_temporaries()
        state = checkpoint.state
        cut_log(session.dir.log, checkpoint.global_step, checkpoint.epoch)
        where = {"epoch": checkpoint.epoch, "epoch_step": int(state.get("epoch_step", 0)),
                 "global_step": checkpoint.global_step}
        record.history = [h for h in record.history if h.get("epoch", 0) <= checkpoint.epoch]
        record.steps = {key: [v for v, s in zip(values, record.steps.get("step", []),
                                                strict=False) if s <= checkpoint.global_step]
                        for key, values in record.steps.items()}
        record.resumes.append({**where, "time": _now(), "processes": processes,
                               "previous_status": record.status})
        record.status, record.message = "running", ""
        record.pid, record.host, record.processes = os.getpid(), socket.gethostname(), processes
        store.save(record)
        session.log.write({"event": "resume", **where, "time": _now()})
        return session

    def describe(self, model_config: Any, train_config: Any, summary: dict[str, Any],
                 fingerprint: str, processes: int = 1) -> None:
        """The settings as the data completed them (vocabulary size, classes, maximum length)
        and what the data turned out to be, once it is prepared."""
        from lstm_studio.core.config import config_to_dict

        self.record.model_config = config_to_dict(model_config)
        self.record.train_config = config_to_dict(train_config)
        self.record.summary = {**self.record.summary, **summary}
        self.record.fingerprint = fingerprint
        self.record.processes = processes
        self.store.save(self.record)

    def emit(self, event: object) -> None:
        self.recorder(event)
        if isinstance(event, RunStarted):
            self.log.write({"event": "start", **asdict(event), "time": _now()})
        else:
            self.log.event(event)

    def callbacks(self, world: Any, stop_signal: threading.Event | None = None
                  ) -> list[TrainerCallback]:
        return [CheckpointCallback(self, world, self.checkpoint_minutes),
                StopCallback(self.dir, stop_signal)]

    def wrote_checkpoint(self, trainer: Trainer, seconds: float, size: int) -> None:
        state = trainer.state
        where = {"epoch": state.epoch, "epoch_step": state.epoch_step,
                 "global_step": state.global_step}
        self.record.last_checkpoint = {**where, "time": _now(), "seconds": round(seconds, 3),
                                       "bytes": size}
        self.store.save(self.record)
        self.log.write({"event": "checkpoint", **where, "seconds": seconds, "bytes": size,
                        "time": _now()})

    def finish(self, status: str, message: str, history: list[dict], summary: dict,
               model_path: str | None) -> None:
        self.recorder.finish(status, message, history, summary, model_path)
        self.log.close()
        self.dir.clear_stop()

    @contextlib.contextmanager
    def recording(self) -> Iterator[RunSession]:
        """Around everything between `start` and `finish`: a run that ends by an exception
        before the trainer could say so (Ctrl+C while reading, a crash) is recorded as failed
        or stopped, never left "running". Input the app refuses before any training step
        (a bad file, settings that cannot work) leaves nothing behind: the user reads why,
        and there is nothing to resume, so the run is taken out of the history again."""
        try:
            yield self
        except (KeyboardInterrupt, Cancelled):
            if self.record.status == "running":
                self.fail("stopped", "Stopped before training started.")
            raise
        except UserError as error:
            record = self.record
            if record.status == "running" and not record.history \
                    and not record.checkpoint_path:
                self.store.delete(record.run_id)
            elif record.status == "running":
                self.fail("failed", str(error))
            raise
        except BaseException as error:
            if self.record.status == "running":
                self.fail("failed", str(error) or type(error).__name__)
            raise

    def fail(self, status: str, message: str) -> None:
        """End a run that raised (failed, or stopped from a listener)."""
        record = self.record
        self.finish(status, message, record.history, record.summary, record.checkpoint_path)


class CheckpointCallback(TrainerCallback):
    """Saves the training state at every `on_checkpoint`, and asks for one every
    `minutes` of training. Every process of a data-parallel run has one (the random states
    are gathered from all of them); only the main process's writes."""

    def __init__(self, session: RunSession | None, world: Any,
                 minutes: float | None = None) -> None:
        self.session = session
        self.world = world
        self.interval = minutes * 60.0 if minutes and minutes > 0 else None
        self._last = time.monotonic()
        self.written = 0

    def on_fit_start(self, trainer: Trainer) -> None:
        self._last = time.monotonic()

    def on_step_end(self, trainer: Trainer, event: object) -> None:
        if (self.interval is not None and self.world.is_main
                and time.monotonic() - self._last >= self.interval):
            trainer.request_checkpoint()

    def on_checkpoint(self, trainer: Trainer) -> None:
        from lstm_studio.core.run_checkpoint import (
            capture_random_state,
            save_training_checkpoint,
        )

        started = time.monotonic()
        rng = capture_random_state(trainer)  # every process takes part
        self._last = time.monotonic()
        if self.session is None:
            return
        # Every step the checkpoint includes is in the log before the checkpoint exists, so a
        # run killed right after it resumes without a gap in its curve.
        self.session.log.flush()
        info = {"run_id": self.session.run_id, "processes": self.world.size,
                "threads": trainer.config.threads}
        size = save_training_checkpoint(self.session.dir.checkpoint, trainer, rng, info)
        self.written += 1
        self.session.wrote_checkpoint(trainer, time.monotonic() - started, size)


class StopCallback(TrainerCallback):
    """Asks the trainer to stop when the run's stop file appears (the window's Stop, or
    `touch RUN_DIR/STOP`) or when `signal` is set (Ctrl+C). The file is looked for after
    every step: one stat, a few microseconds, against steps of milliseconds or more."""

    def __init__(self, run_dir: RunDir | None, signal: threading.Event | None = None) -> None:
        self.run_dir = run_dir
        self.signal = signal

    def on_step_end(self, trainer: Trainer, event: object) -> None:
        if (self.signal is not None and self.signal.is_set()) or (
                self.run_dir is not None and self.run_dir.stop_requested()):
            trainer.request_stop()
