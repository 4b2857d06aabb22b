"""Metrics on a named split: accuracy, macro-F1, per-class scores, confusion, misclassified
documents for classifiers; loss and perplexity for language models.

The metric arithmetic is plain Python over label indices so it can be checked by hand; the
forward passes reuse the bucketed batches of training (sorted by length, no shuffling).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from lstm_studio.core.batching import (
    IGNORE_INDEX,
    EncodedSet,
    bucket_batches,
    collate,
    encode_classification,
    encode_lm,
)
from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.progress import Progress, report


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int],
                           labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 (mean over all labels), per-class scores, confusion (rows = true)."""
    size = len(labels)
    confusion = [[0] * size for _ in range(size)]
    for true, pred in zip(y_true, y_pred, strict=True):
        confusion[true][pred] += 1
    total = len(y_true)
    correct = sum(confusion[i][i] for i in range(size))
    per_class: dict[str, dict[str, float]] = {}
    for i, label in enumerate(labels):
        tp = confusion[i][i]
        predicted = sum(confusion[r][i] for r in range(size))
        support = sum(confusion[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": support}
    macro_f1 = sum(c["f1"] for c in per_class.values()) / size if size else 0.0
    return {
        "accuracy": correct / total if total else 0.0,
        "macro_f1": macro_f1,
        "per_class": per_class,
        "confusion": confusion,
        "labels": list(labels),
        "documents": total,
    }


def _forward_batches(model: torch.nn.Module, data: EncodedSet, batch_size: int,
                     device: torch.device | str, progress: Progress | None
                     ) -> Iterator[tuple[list[int], Any, torch.Tensor]]:
    """(indices, batch, float logits) over the set in bucketed order, in eval mode, no grad;
    the model's training flag is put back afterwards."""
    was_training = model.training
    model.eval()
    batches = bucket_batches(data.input_lengths(), batch_size, shuffle=False)
    try:
        with torch.no_grad():
            for done, indices in enumerate(batches):
                report(progress, done, len(batches), "Evaluating")
                batch = collate(data, indices, device)
                yield indices, batch, model(batch.ids, batch.lengths).float()
    finally:
        model.train(was_training)


def predict_logits(model: torch.nn.Module, data: EncodedSet, batch_size: int = 256,
                   device: torch.device | str = "cpu", progress: Progress | None = None
                   ) -> torch.Tensor:
    """Float logits [N, C] on the CPU, in the set's order."""
    logits: torch.Tensor | None = None
    for indices, _batch, batch_logits in _forward_batches(model, data, batch_size, device,
                                                          progress):
        if logits is None:
            logits = torch.zeros(len(data), batch_logits.shape[1])
        logits[torch.tensor(indices)] = batch_logits.cpu()
    return logits if logits is not None else torch.zeros(0, 0)


def predict_encoded(model: torch.nn.Module, data: EncodedSet, batch_size: int = 256,
                    device: torch.device | str = "cpu", progress: Progress | None = None,
                    calibration: dict | None = None) -> tuple[torch.Tensor, float]:
    """Class probabilities [N, C] in the set's order (the model's stored temperature
    applied, see core/calibration.py), and the mean cross-entropy loss of those."""
    from lstm_studio.core.calibration import calibrated_probs

    logits = predict_logits(model, data, batch_size, device, progress)
    if not len(data):
        return logits, 0.0
    assert data.targets is not None
    temperature = float((calibration or {}).get("temperature") or 1.0)
    loss = float(F.cross_entropy(logits / temperature,
                                 torch.tensor(data.targets, dtype=torch.long)))
    return calibrated_probs(logits, calibration), loss


def lm_loss(model: torch.nn.Module, data: EncodedSet, batch_size: int = 128,
            device: torch.device | str = "cpu", progress: Progress | None = None
            ) -> dict[str, float]:
    """Mean next-word cross-entropy over every real position, and its perplexity."""
    total = 0.0
    tokens = 0
    for _, batch, logits in _forward_batches(model, data, batch_size, device, progress):
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                       batch.targets.reshape(-1), reduction="sum",
                                       ignore_index=IGNORE_INDEX))
        tokens += batch.tokens
    loss = total / tokens if tokens else float("nan")
    return {"loss": loss, "perplexity": math.exp(min(loss, 700.0)), "tokens": tokens}


def evaluate_encoded(model: torch.nn.Module, data: EncodedSet, labels: Sequence[str],
                     documents: Sequence[Document] | None = None, batch_size: int = 256,
                     device: torch.device | str = "cpu", progress: Progress | None = None,
                     misclassified_limit: int = 500, calibration: dict | None = None
                     ) -> dict[str, Any]:
    """Full metrics for an already-encoded set (the trainer's validation path);
    `calibration` is a model's stored temperature and threshold (core/calibration.py)."""
    if data.task == "lm":
        return lm_loss(model, data, batch_size, device, progress)
    from lstm_studio.core.calibration import decide, reliability

    probs, loss = predict_encoded(model, data, batch_size, device, progress, calibration)
    predicted = decide(probs, calibration).tolist() if len(data) else []
    assert data.targets is not None
    metrics = classification_metrics(data.targets, predicted, labels)
    metrics["loss"] = loss
    metrics["calibration"] = reliability(probs, data.targets)
    if documents is not None:
        wrong = []
        for i, (true, pred) in enumerate(zip(data.targets, predicted, strict=True)):
            if true != pred and len(wrong) < misclassified_limit:
                doc = documents[i]
                wrong.append({"text": doc.text, "label": labels[true],
                              "predicted": labels[pred], "probability": float(probs[i, pred]),
                              "source": doc.source})
        metrics["misclassified"] = wrong
    return metrics


def evaluate(bundle_or_model: Any, documents: Sequence[Document], *, vocab: Any = None,
             labels: Sequence[str] | None = None, max_len: int | None = None,
             clean: bool = True, batch_size: int = 256, device: str | None = None,
             progress: Progress | None = None, misclassified_limit: int = 500
             ) -> dict[str, Any]:
    """Evaluate a ModelBundle (its cleaning and vocabulary applied) or a bare model.

    For a bare RecurrentModel pass `vocab` (and `labels` for a classifier); the documents are
    then taken as already cleaned.
    """
    from lstm_studio.core.checkpoint import ModelBundle

    calibration = None
    if isinstance(bundle_or_model, ModelBundle):
        bundle = bundle_or_model
        model, vocab = bundle.model, bundle.vocab
        calibration = bundle.calibration
        labels = bundle.labels
        max_len = max_len or bundle.max_len

        def encode(text: str) -> list[int]:
            return bundle.prepare(text).ids if clean else vocab.encode(text)
    else:
        model = bundle_or_model
        if vocab is None:
            raise ValueError("evaluate() on a bare model needs its vocabulary")

        def encode(text: str) -> list[int]:
            return vocab.encode(text)
    if device is None:
        device = str(next(model.parameters()).device)
    task = model.config.task
    if task == "lm":
        ids = [encode(doc.text) for doc in documents]
        if not ids:
            raise DataError("There are no documents to evaluate the language model on.")
        data = encode_lm(ids, vocab.bos_id, vocab.eos_id, max_len)
        return lm_loss(model, data, batch_size, device, progress)
    labels = list(labels or [])
    index = {label: i for i, label in enumerate(labels)}
    kept = [doc for doc in documents if doc.label is not None]
    kept_labels = [doc.label for doc in documents if doc.label is not None]  # in kept's order
    if not kept:
        raise DataError("None of the documents has a label, so there is nothing to score.")
    unknown = sorted({label for label in kept_labels if label not in index})
    if unknown:
        raise DataError(f"The documents have labels the model was not trained on: "
                        f"{', '.join(map(str, unknown[:5]))}.")
    ids = [encode(doc.text) for doc in kept]
    data = encode_classification(ids, [index[label] for label in kept_labels], max_len,
                                 vocab.unk_id)
    return evaluate_encoded(model, data, labels, kept, batch_size, device, progress,
                            misclassified_limit, calibration)
