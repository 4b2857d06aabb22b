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
from lstm_studio.core.errors import Cancelled, DataError
from lstm_studio.core.evaluation import evaluate_encoded
from lstm_studio.core.models import build_model
from lstm_studio.core.progress import Progress
from lstm_studio.core.runs import RunRecorder, RunStore
from lstm_studio.core.trainer import Trainer, TrainerCallback, resolve_device

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
    return encode_classification(ids, [index[doc.label] for doc in docs], max_len, vocab.unk_id)


def _check_dataset(train: list[Document], task: str) -> list[str]:
    if not train:
        raise DataError("The dataset has no training documents.")
    if task == "lm":
        return []
    unlabelled = sum(1 for doc in train if doc.label is None)
    if unlabelled:
        raise DataError(f"{unlabelled} training documents have no label; a classifier needs "
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
                callbacks: Sequence[TrainerCallback] = ()) -> TrainResult:
    """Train on an already-cleaned dataset; stopping returns a result, it does not raise.
    `callbacks` join the trainer's own (e.g. a settings search's pruning)."""
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
        notes.append(f"No validation split, so {len(valid_docs)} training documents "
                     f"({HOLDOUT_FRACTION:.0%}, stratified, seed {train_config.seed}) were "
                     "held out for validation.")
        if not train_docs or not valid_docs:
            raise DataError("Too few documents to hold out a validation split; add more data.")
    test_docs = dataset.split("test")
    if task == "classify":
        test_docs = [d for d in test_docs if d.label in set(labels)]

    vocab_config = replace(vocab_config, lm_specials=vocab_config.lm_specials or task == "lm")
    vocab = Vocabulary.build([doc.text for doc in train_docs], vocab_config)
    max_len = train_config.max_len or vocab_config.max_len
    if not max_len:
        # the Vocabulary tab's suggestion: p95 of training lengths
        max_len = max(1, percentile([len(tokenize(doc.text)) for doc in train_docs], 0.95))
        notes.append(f"Maximum length {max_len} tokens (95th percentile of training lengths).")
    train_config = replace(train_config, max_len=max_len)
    start, model_config = q.prepare_embeddings(train_config, model_config, vocab.itos,
                                               [doc.text for doc in train_docs], progress)
    model_config = replace(model_config, vocab_size=len(vocab),
                           num_classes=len(labels) if task == "classify" else 0)
    validate_model(model_config)
    device = resolve_device(train_config.device)

    train_set = _encode(train_docs, vocab, task, labels, max_len)
    valid_set = _encode(valid_docs, vocab, task, labels, max_len)
    test_set = _encode(test_docs, vocab, task, labels, max_len) if test_docs else None

    torch.manual_seed(train_config.seed)
    model = build_model(model_config)
    plan = q.plan_training(train_config, task, labels, train_set, model, start)
    notes.extend(plan.notes)

    store = RunStore() if record_run else None
    recorder = None
    run_id = None
    if store is not None:
        record = store.create(config_to_dict(model_config), config_to_dict(train_config), name)
        record.summary = {"task": task, "train_documents": len(train_docs),
                          "valid_documents": len(valid_docs), "test_documents": len(test_docs),
                          "vocab_size": len(vocab)}
        recorder = RunRecorder(store, record)
        run_id = record.run_id

    def emit(event: object) -> None:
        if recorder is not None:
            recorder(event)
        if on_event is not None:
            on_event(event)

    try:
        trainer = Trainer(model, train_config, train_set, valid_set, labels, emit, progress,
                          run_id or "", device, sampler=plan.sampler, objective=plan.objective,
                          callbacks=[*plan.callbacks, *callbacks])
        fit = trainer.fit()
        plan.quality["selection"]["epoch"] = fit.best_epoch
        calibration = q.calibrate(model, valid_set, train_config, device) \
            if fit.status == "finished" else {}
        if calibration:
            plan.quality["calibration"] = calibration
        if fit.status == "stopped":
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
        if recorder is not None:  # raised from a listener (e.g. the app closing mid-run)
            recorder.finish("stopped", "Stopped before the run completed.",
                            recorder.record.history, recorder.record.summary, None)
        raise
    except BaseException as error:
        if recorder is not None:
            recorder.finish("failed", str(error) or type(error).__name__,
                            recorder.record.history, recorder.record.summary, None)
        raise

    metrics = {"valid": _summary(valid), "test": _summary(test) if test else None,
               "best_epoch": fit.best_epoch, "selection": plan.quality["selection"]}
    bundle = ModelBundle(
        model=model.cpu().eval(), model_config=model_config, train_config=train_config,
        vocab_config=vocab_config, vocab=vocab, labels=labels, cleaning_config=cleaning_config,
        data_config=data_config, history=fit.history, metrics=metrics,
        info={"run_id": run_id, "app_version": __version__, "status": fit.status,
              "quality": plan.quality},
        calibration=calibration,
    )
    checkpoint_path = None
    if out_path:
        checkpoint_path = str(save_checkpoint(bundle, out_path))
    seconds = time.monotonic() - started
    message = " ".join([fit.message, q.selection_summary(plan.quality, fit.best_epoch),
                        *notes]).strip()
    if recorder is not None:
        recorder.finish(fit.status, message, fit.history,
                        {**recorder.record.summary, **metrics, "seconds": seconds,
                         "epochs": fit.epochs, "quality": plan.quality}, checkpoint_path)
    return TrainResult(bundle, fit.status, fit.history, valid, test, fit.epochs, seconds, run_id,
                       message, checkpoint_path, plan.quality)


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
