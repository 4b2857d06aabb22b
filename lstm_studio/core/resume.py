"""Continue a run from its last checkpoint: `lstm-studio train --resume` and the Train tab's
Resume both call `open_resume` then `resume_training`.

The run record names everything: the sources and how they were read, the cleaning, the
vocabulary, model and training settings. The data is read and cleaned again and must come out
exactly as before (the record's fingerprint of the prepared splits and vocabulary), the
checkpoint puts back the weights, optimizer, scheduler, random states and the position inside
the epoch, and the loop goes on from there: with the same seed and thread count the losses
after the resume are those of an uninterrupted run. Only the number of epochs, the time budget
(the run's total training time), the threads, the device and the number of processes may
change; any other setting given again must equal the run's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_from_dict,
)
from lstm_studio.core.errors import CheckpointError, ConfigError, UserError
from lstm_studio.core.progress import Progress
from lstm_studio.core.run_dir import RunDir, is_run_dir
from lstm_studio.core.runs import RunRecord, RunStore, read_run

if TYPE_CHECKING:
    from lstm_studio.core.events import EventHandler
    from lstm_studio.core.pipeline import TrainResult
    from lstm_studio.core.run_checkpoint import TrainingCheckpoint
    from lstm_studio.core.world import World

# Settings a resume may change: they decide how long and where, not what is learned.
CHANGEABLE = frozenset({"epochs", "time_budget_s", "threads", "device"})
# Filled in from the data, not chosen by the user.
FROM_DATA = frozenset({"vocab_size", "num_classes", "max_len"})


@dataclass
class ResumePlan:
    record: RunRecord
    checkpoint: TrainingCheckpoint
    vocab: VocabConfig
    model: ModelConfig
    train: TrainConfig
    data: DataConfig
    cleaning: CleaningConfig | None

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def resumed_from(self) -> dict[str, Any]:
        """Where the run goes on from: the `resumed_from` of `train --json`."""
        return {"run": self.run_id, "epoch": self.checkpoint.epoch,
                "epoch_step": int(self.checkpoint.state.get("epoch_step", 0)),
                "global_step": self.checkpoint.global_step}


def find_run(ref: str, store: RunStore | None = None) -> RunRecord:
    """The run named by an id in the history or by a run folder's path."""
    if is_run_dir(ref):
        record = read_run(ref)
        if record is not None:
            return record
        raise UserError(f"The run record in {ref} cannot be read.")
    record = (store or RunStore()).get(ref)
    if record is None:
        raise UserError(f"There is no run {ref} in the run history, and {ref} is not a run "
                        "folder; see `lstm-studio runs`.")
    return record


def open_resume(ref: str, store: RunStore | None = None) -> ResumePlan:
    """Read the run and its checkpoint; every reason it cannot continue is one sentence."""
    from lstm_studio.core.run_checkpoint import load_training_checkpoint

    record = find_run(ref, store)
    name = record.run_id
    if not record.folder:
        raise UserError(f"Run {name} was recorded by an earlier version of LSTM Studio that "
                        "kept no checkpoints, so it cannot be resumed.")
    if record.status == "running":
        raise UserError(f"Run {name} is still running (process {record.pid} on "
                        f"{record.host or 'this machine'}); stop it before resuming it.")
    if record.data_config is None or not record.data_config.get("sources"):
        raise UserError(f"Run {name} does not name its data sources, so it cannot be "
                        "resumed.")
    checkpoint_path = RunDir.at(record.folder).checkpoint
    if not checkpoint_path.exists():
        raise CheckpointError(f"Run {name} has no checkpoint to resume from: it ended before "
                              "its first one (written after each epoch, every "
                              "--checkpoint-minutes and when a run is stopped).")
    checkpoint = load_training_checkpoint(checkpoint_path)
    if checkpoint.info.get("run_id") not in (None, name):
        raise CheckpointError(f"The checkpoint in {record.folder} belongs to another run "
                              f"({checkpoint.info.get('run_id')}).")
    cleaning = record.cleaning_config
    return ResumePlan(
        record, checkpoint, config_from_dict(VocabConfig, record.vocab_config),
        config_from_dict(ModelConfig, record.model_config),
        config_from_dict(TrainConfig, record.train_config),
        config_from_dict(DataConfig, record.data_config),
        config_from_dict(CleaningConfig, cleaning) if cleaning else None)


def check_settings(plan: ResumePlan, given: dict[str, dict[str, Any]]) -> None:
    """`given` holds what the command line set, by config ("model", "train", "vocab"; and
    "cleaning": {"config": the CleaningConfig the flags make}); a value that differs from the
    run's is a ConfigError naming them all."""
    current = {"model": plan.model, "train": plan.train, "vocab": plan.vocab,
               "cleaning": plan.cleaning}
    differences = []
    for section, values in given.items():
        if section == "cleaning":  # the cleaning flags make one configuration together
            if values["config"] != plan.cleaning:
                differences.append("the cleaning settings (--no-clean, --lang, "
                                   "--lang-threshold, --skip-step)")
            continue
        config = current.get(section)
        for key, value in values.items():
            if key in CHANGEABLE or key in FROM_DATA:
                continue
            have = getattr(config, key, None) if config is not None else None
            if value != have:
                differences.append(f"{key.replace('_', ' ')} {value!r} (the run has {have!r})")
    if differences:
        raise ConfigError(f"These settings differ from run {plan.run_id}'s: "
                          f"{'; '.join(differences)}. Leave them out to resume the run, or "
                          "start a new run to train with them.")


def apply_changes(plan: ResumePlan, epochs: int | None = None, budget_s: float | None = None,
                  threads: int | None = None, device: str | None = None) -> None:
    """What a resume may change: more (or fewer) epochs, the time budget, threads, device."""
    done = plan.checkpoint.epoch
    train = plan.train
    if epochs is not None:
        train = replace(train, epochs=epochs)
    if budget_s is not None:
        train = replace(train, time_budget_s=budget_s or None)
    if threads is not None:
        train = replace(train, threads=threads)
    if device is not None:
        train = replace(train, device=device)
    if train.epochs <= done:
        raise ConfigError(f"Run {plan.run_id} has already trained {train.epochs} epochs; give "
                          f"--epochs with more than {done} to train it further.")
    plan.train = train


def load_run_data(plan: ResumePlan, read: Progress | None = None,
                  clean: Progress | None = None):
    """The run's dataset (or token store), read and cleaned again as the run's settings
    say."""
    from lstm_studio.core.corpus.choice import load_for_training

    prepared = load_for_training(plan.data, plan.cleaning, read, clean)
    # As applied ("auto" segmentation decided): what the model replays on raw text.
    plan.cleaning = prepared.cleaning or plan.cleaning
    return prepared.corpus


def resume_training(plan: ResumePlan, dataset, *, progress: Progress | None = None,
                    on_event: EventHandler | None = None, world: World | None = None,
                    checkpoint_minutes: float | None = None,
                    stop_signal: threading.Event | None = None,
                    out_path: str | None = None, store: RunStore | None = None
                    ) -> TrainResult:
    """Train `plan`'s run on from its checkpoint (every process of a data-parallel run calls
    this; only the main one writes the run folder)."""
    from lstm_studio.core.pipeline import train_model
    from lstm_studio.core.run_session import RunOptions, RunSession

    record = plan.record
    session = None
    main = world is None or world.is_main
    if main:
        root = Path(record.folder).parent
        session = RunSession.reopen(store or RunStore(root), record, plan.checkpoint,
                                    world.size if world is not None else 1,
                                    checkpoint_minutes)
    options = RunOptions(session=session, resume=plan.checkpoint, fingerprint=record.fingerprint,
                         world=world, checkpoint_minutes=checkpoint_minutes,
                         stop_signal=stop_signal)
    out = out_path or record.model_out or None
    try:
        return train_model(dataset, plan.vocab, plan.model, plan.train, plan.cleaning, plan.data,
                           progress=progress, on_event=on_event, out_path=out,
                           record_run=True, name=record.name, options=options)
    except BaseException as error:
        if session is not None and session.record.status == "running":
            # Failed before training went on (the data changed, say): the run stays as it
            # was, still resumable.
            previous = session.record.resumes.pop()["previous_status"]
            session.fail(previous, f"Resuming failed: {error}")
        raise
