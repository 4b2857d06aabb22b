"""`train_model`: from a cleaned Dataset to a saved, evaluated, recorded model.

This is the one entry point the GUI's Train tab and the `train` command share: vocabulary
from the training split only (validation and test words must stay unseen), a held-out
validation split when the data has none, the trainer with stop/pause, metrics on validation
and test, the checkpoint and the run-store entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import torch

from lstm_studio import __version__
from lstm_studio.core.batching import EncodedSet
from lstm_studio.core.checkpoint import ModelBundle, save_checkpoint
from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_to_dict,
    validate_model,
    validate_training_for_task,
)
from lstm_studio.core.data_plan import plan_in_memory
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import Cancelled, DataError, RunInterrupted
from lstm_studio.core.evaluation import evaluate_encoded
from lstm_studio.core.model_size import check_fits
from lstm_studio.core.models import build_model
from lstm_studio.core.progress import Progress
from lstm_studio.core.run_session import (
    CheckpointCallback,
    RunOptions,
    RunSession,
    StopCallback,
)
from lstm_studio.core.runs import RunStore
from lstm_studio.core.trainer import Trainer, TrainerCallback, resolve_device
from lstm_studio.core.world import SingleProcess, peer_lost

if TYPE_CHECKING:
    from lstm_studio.core.corpus.store import TokenStore



@dataclass
class TrainResult:
    bundle: ModelBundle
    status: str
    history: list[dict]
    valid: dict | None
    test: dict | None
    epochs: int
    seconds: float
    run_id: str | None
    message: str
    checkpoint_path: str | None = None
    recovered: dict | None = None  # after a NaN: the restored step and its validation figures
    # Selection metric (and why), class weights, embeddings coverage, calibration: see
    # core/quality.py.
    quality: dict = field(default_factory=dict)


def train_model(dataset: Dataset | TokenStore, vocab_config: VocabConfig, model_config: ModelConfig,
                train_config: TrainConfig, cleaning_config: CleaningConfig | None = None,
                data_config: DataConfig | None = None, progress: Progress | None = None,
                on_event: Callable[[object], None] | None = None, out_path: str | None = None,
                record_run: bool = True, name: str = "",
                options: RunOptions | None = None,
                callbacks: Sequence[TrainerCallback] = ()) -> TrainResult:
    """Train on an already-cleaned dataset; stopping returns a result, it does not raise.

    A recorded run writes its folder (record, live log, checkpoints; see core/run_session.py).
    In a data-parallel run (`options.world`) only the main process records, evaluates and
    saves; the others return once training ends, with `bundle` None. `callbacks` join the
    trainer's own (e.g. a settings search's pruning)."""
    from lstm_studio.core import quality as q

    started = time.monotonic()
    task = model_config.task
    validate_training_for_task(train_config, task)
    if isinstance(dataset, Dataset):
        data = plan_in_memory(dataset, vocab_config, train_config, task)
    else:
        from lstm_studio.core.corpus.training import plan_from_store

        data = plan_from_store(dataset, vocab_config, train_config, task,
                               cleaning_config.filter_splits if cleaning_config else ())
    notes = list(data.notes)
    labels, vocab, max_len = data.labels, data.vocab, data.max_len
    vocab_config = data.vocab_config
    train_docs, valid_docs, test_docs = data.train_docs, data.valid_docs, data.test_docs
    train_config = replace(train_config, max_len=max_len)
    start, model_config = q.prepare_embeddings(train_config, model_config, vocab.itos,
                                               data.train_texts, progress)
    model_config = replace(model_config, vocab_size=len(vocab),
                           num_classes=len(labels) if task == "classify" else 0)
    validate_model(model_config)
    options = options or RunOptions()
    world = options.world or SingleProcess()
    device = world.device or resolve_device(train_config.device)
    check_fits(model_config, train_config, max_len, str(device))  # before any allocation

    train_set = data.encode("train")
    valid_set = data.encode("valid")
    test_set = data.encode("test")
    assert train_set is not None and valid_set is not None

    torch.manual_seed(train_config.seed)
    model = build_model(model_config)
    plan = q.plan_training(train_config, task, labels, train_set, model, start)
    notes.extend(plan.notes)

    fingerprint = data.fingerprint()
    if options.fingerprint and fingerprint != options.fingerprint:
        raise DataError("The data is not what the run was trained on (its sources or "
                        "cleaning changed since), so it cannot be resumed; start a new run.")
    session = options.session
    if session is None and record_run and world.is_main:
        session = RunSession.start(
            RunStore(), config_to_dict(model_config), config_to_dict(train_config), name,
            configs=run_configs(vocab_config, data_config, cleaning_config),
            checkpoint_minutes=options.checkpoint_minutes)
    run_id = session.run_id if session is not None else None
    if session is not None:
        sizes = {"task": task, "train_documents": len(train_docs),
                 "valid_documents": len(valid_docs), "test_documents": len(test_docs),
                 "vocab_size": len(vocab)}
        session.describe(model_config, train_config, sizes, fingerprint, world.size)

    def emit(event: object) -> None:
        if session is not None:
            session.emit(event)
        if on_event is not None:
            on_event(event)

    run_callbacks: list[TrainerCallback] = [StopCallback(None, options.stop_signal)]
    if session is not None:
        run_callbacks = session.callbacks(world, options.stop_signal)
    elif record_run and world.size > 1:  # the other processes take part in checkpoints
        run_callbacks.append(CheckpointCallback(None, world))
    calibration: dict = {}
    try:
        trainer = Trainer(model, train_config, train_set, valid_set, labels, emit, progress,
                          run_id or "", device, sampler=plan.sampler, objective=plan.objective,
                          callbacks=[*plan.callbacks, *callbacks, *run_callbacks], world=world)
        if options.resume is not None:
            options.resume.apply(trainer)
        fit = trainer.fit()
        plan.quality["selection"]["epoch"] = fit.best_epoch
        if world.is_main and fit.status == "finished":
            calibration = q.calibrate(model, valid_set, train_config, device)
            if calibration:
                plan.quality["calibration"] = calibration
        if not world.is_main:  # the main process evaluates and saves
            valid = test = None
        elif fit.status == "stopped":
            # The user asked to stop: return at once with the best weights. The kept epoch's
            # validation figures are already in the history; a full evaluation (confusion
            # matrix, test split) is left to an explicit request.
            valid, test = _metrics_from_history(fit.history, fit.best_epoch), None
            if valid is None:  # stopped inside the first epoch: nothing validated yet
                valid = _final_metrics(model, valid_set, labels, valid_docs, train_config,
                                       device)
        else:
            valid = _final_metrics(model, valid_set, labels, valid_docs, train_config, device,
                                   calibration)
            test = (_final_metrics(model, test_set, labels, test_docs, train_config, device,
                                   calibration) if test_set is not None else None)
    except Cancelled:
        if session is not None:  # raised from a listener (e.g. the app closing mid-run)
            session.fail("stopped", "Stopped before the run completed.")
        raise
    except BaseException as error:
        # Another process died inside a collective of DDP's own (the gradient all-reduce).
        lost = None if isinstance(error, RunInterrupted) or not world.lost_peer(error) \
            else peer_lost(world.rank, world.size, error)
        if session is not None:
            interrupted = lost is not None or isinstance(error, RunInterrupted)
            session.fail("interrupted" if interrupted else "failed",
                         str(lost or error) or type(error).__name__)
        if lost is not None:
            raise lost from error
        raise

    metrics = {"valid": _summary(valid), "test": _summary(test) if test else None,
               "best_epoch": fit.best_epoch, "selection": plan.quality["selection"]}
    bundle = ModelBundle(
        model=model.cpu().eval(), model_config=model_config, train_config=train_config,
        vocab_config=vocab_config, vocab=vocab, labels=labels, cleaning_config=cleaning_config,
        data_config=data_config, history=fit.history, metrics=metrics,
        info={"run_id": run_id, "app_version": __version__, "status": fit.status,
              "quality": plan.quality,
              **({"recovered": fit.recovered} if fit.recovered else {})},
        calibration=calibration,
    )
    checkpoint_path = None
    if out_path and world.is_main:
        checkpoint_path = str(save_checkpoint(bundle, out_path))
    seconds = time.monotonic() - started
    message = " ".join([fit.message, q.selection_summary(plan.quality, fit.best_epoch),
                        *notes]).strip()
    if session is not None:
        session.finish(fit.status, message, fit.history,
                       {**session.record.summary, **metrics, "seconds": seconds,
                        "epochs": fit.epochs, "quality": plan.quality}, checkpoint_path)
    return TrainResult(bundle, fit.status, fit.history, valid, test, fit.epochs, seconds, run_id,
                       message, checkpoint_path, fit.recovered, plan.quality)


def run_configs(vocab: VocabConfig, data: DataConfig | None,
                cleaning: CleaningConfig | None) -> dict[str, dict | None]:
    """The settings a run record keeps so `train --resume` can rebuild the data (from any
    working folder: source paths are made absolute)."""
    from lstm_studio.core.readers import absolute_sources

    return {"vocab_config": config_to_dict(vocab),
            "data_config": config_to_dict(absolute_sources(data)) if data is not None else None,
            "cleaning_config": config_to_dict(cleaning) if cleaning is not None else None}


def _final_metrics(model, data: EncodedSet, labels: list[str], docs: Sequence[Document],
                   config: TrainConfig, device, calibration: dict | None = None) -> dict:
    return evaluate_encoded(model, data, labels, docs if data.task == "classify" else None,
                            batch_size=max(64, config.batch_size * 2), device=device,
                            calibration=calibration)


def _metrics_from_history(history: list[dict], epoch: int | None) -> dict | None:
    """The validation headline of one finished epoch, shaped like evaluation's output."""
    entry = next((item for item in history if item["epoch"] == epoch), None)
    if entry is None:
        return None
    metrics = {"loss": entry["valid_loss"], "epoch": epoch}
    for key in ("accuracy", "macro_f1", "perplexity"):
        if entry.get(f"valid_{key}") is not None:
            metrics[key] = entry[f"valid_{key}"]
    return metrics


def _summary(metrics: dict | None) -> dict | None:
    """The headline numbers of a metrics dict (what the run store and JSON output keep)."""
    if metrics is None:
        return None
    keys = ("accuracy", "macro_f1", "loss", "perplexity", "documents")
    return {key: metrics[key] for key in keys if key in metrics}
