"""`train_model`: from a cleaned Dataset to a saved, evaluated, recorded model.

This is the one entry point the GUI's Train tab and the `train` command share: vocabulary
from the training split only (validation and test words must stay unseen), a held-out
validation split when the data has none, the trainer with stop/pause, metrics on validation
and test, the checkpoint and the run-store entry.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch

from lstm_studio import __version__
from lstm_studio.core.batching import EncodedSet, encode_classification, encode_lm
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
    data_fingerprint,
)
from lstm_studio.core.runs import RunStore
from lstm_studio.core.trainer import Trainer, TrainerCallback, resolve_device
from lstm_studio.core.wording import plural, verb
from lstm_studio.core.world import SingleProcess, peer_lost

HOLDOUT_FRACTION = 0.1


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


def stratified_holdout(documents: Sequence[Document], fraction: float, seed: int
                       ) -> tuple[list[Document], list[Document]]:
    """Split off `fraction` of each label's documents (at least one per label with >= 2)."""
    groups: dict[str | None, list[Document]] = defaultdict(list)
    for doc in documents:
        groups[doc.label].append(doc)
    rng = random.Random(f"holdout:{seed}")
    keep: list[Document] = []
    held: list[Document] = []
    for label in sorted(groups, key=lambda x: (x is None, x or "")):
        docs = list(groups[label])
        rng.shuffle(docs)
        count = round(len(docs) * fraction)
        if count == 0 and len(docs) >= 2:
            count = 1
        held.extend(replace(doc, split="valid") for doc in docs[:count])
        keep.extend(docs[count:])
    return keep, held


def _encode(docs: Sequence[Document], vocab, task: str, labels: list[str],
            max_len: int | None) -> EncodedSet:
    ids = [vocab.encode(doc.text) for doc in docs]
    if task == "lm":
        return encode_lm(ids, vocab.bos_id, vocab.eos_id, max_len)
    index = {label: i for i, label in enumerate(labels)}
    labelled = [doc.label for doc in docs if doc.label is not None]
    if len(labelled) != len(docs):  # _check_dataset and the split filters rule this out
        raise DataError("Every document of a classifier's splits needs a label.")
    return encode_classification(ids, [index[label] for label in labelled], max_len,
                                 vocab.unk_id)


def _check_dataset(train: list[Document], task: str) -> list[str]:
    if not train:
        raise DataError("The dataset has no training documents.")
    if task == "lm":
        return []
    unlabelled = sum(1 for doc in train if doc.label is None)
    if unlabelled:
        raise DataError(f"{plural(unlabelled, 'training document')} "
                        f"{verb(unlabelled, 'has', 'have')} no label; a classifier needs "
                        "a label on every document (or choose the language-model task).")
    labels = sorted({doc.label for doc in train if doc.label is not None})
    if len(labels) < 2:
        raise DataError(f"The training split has only one label ({labels[0] if labels else '-'})"
                        "; a classifier needs at least two.")
    return labels


def train_model(dataset: Dataset, vocab_config: VocabConfig, model_config: ModelConfig,
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
    from lstm_studio.core.tokenize import tokenize
    from lstm_studio.core.vocab import Vocabulary, percentile

    started = time.monotonic()
    task = model_config.task
    validate_training_for_task(train_config, task)
    notes: list[str] = []
    train_docs = dataset.split("train")
    labels = _check_dataset(train_docs, task)
    valid_docs = dataset.split("valid")
    if task == "classify":
        valid_docs = [d for d in valid_docs if d.label in set(labels)]
    if not valid_docs:
        train_docs, valid_docs = stratified_holdout(train_docs, HOLDOUT_FRACTION,
                                                    train_config.seed)
        held = len(valid_docs)
        notes.append(f"No validation split, so {plural(held, 'training document')} "
                     f"({HOLDOUT_FRACTION:.0%}, stratified, seed {train_config.seed}) "
                     f"{verb(held, 'was', 'were')} held out for validation.")
        if not train_docs or not valid_docs:
            raise DataError("Too few documents to hold out a validation split; add more data.")
    # The test split is scored whole (cleaning never filters it); only documents whose label
    # the model cannot output are left out, and the message says how many.
    test_docs = dataset.split("test")
    if task == "classify":
        scorable = [d for d in test_docs if d.label in set(labels)]
        if len(scorable) < len(test_docs):
            notes.append(f"{len(test_docs) - len(scorable)} test documents have labels the "
                         "training split lacks and are not scored.")
        test_docs = scorable

    vocab_config = replace(vocab_config, lm_specials=vocab_config.lm_specials or task == "lm")
    vocab = Vocabulary.build([doc.text for doc in train_docs], vocab_config)
    max_len = train_config.max_len or vocab_config.max_len
    if not max_len:
        # the Vocabulary tab's suggestion: p95 of training lengths
        max_len = max(1, percentile([len(tokenize(doc.text)) for doc in train_docs], 0.95))
        notes.append(f"Maximum length {plural(max_len, 'token')} (95th percentile of training "
                     "lengths).")
    train_config = replace(train_config, max_len=max_len)
    start, model_config = q.prepare_embeddings(train_config, model_config, vocab.itos,
                                               [doc.text for doc in train_docs], progress)
    model_config = replace(model_config, vocab_size=len(vocab),
                           num_classes=len(labels) if task == "classify" else 0)
    validate_model(model_config)
    options = options or RunOptions()
    world = options.world or SingleProcess()
    device = world.device or resolve_device(train_config.device)
    check_fits(model_config, train_config, max_len, str(device))  # before any allocation

    train_set = _encode(train_docs, vocab, task, labels, max_len)
    valid_set = _encode(valid_docs, vocab, task, labels, max_len)
    test_set = _encode(test_docs, vocab, task, labels, max_len) if test_docs else None

    torch.manual_seed(train_config.seed)
    model = build_model(model_config)
    plan = q.plan_training(train_config, task, labels, train_set, model, start)
    notes.extend(plan.notes)

    fingerprint = data_fingerprint((train_docs, valid_docs, test_docs), vocab)
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


def _final_metrics(model, data: EncodedSet, labels: list[str], docs: list[Document],
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
