"""The figures a model card shows, from the model file alone or recomputed from data.

A model file keeps its settings, history and headline metrics, but not the documents. When the
user names dataset sources (or asks for the run's own), the card recomputes what needs them:
the cleaning report with the model's cleaning settings, the split sizes, full metrics on the
validation and test splits (per class, confusion matrix) and the calibration on one split.
The validation split is rebuilt as training built it (the held-out part of train when the data
has none) and the test split is scored whole. Metrics come from core/evaluation.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.config import DataConfig
from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.progress import Progress, report

CALIBRATION_BINS = 10


@dataclass
class CardData:
    """What was recomputed from data; empty when the card was made from the file alone."""

    sources: list[str] = field(default_factory=list)
    raw_sizes: dict[str, int] = field(default_factory=dict)  # as loaded
    split_sizes: dict[str, int] = field(default_factory=dict)  # as trained and evaluated
    cleaning: dict[str, Any] | None = None  # CleaningReport.to_dict(include_dropped=False)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> metrics
    calibration: dict[str, Any] | None = None  # {"split", "bins", "ece", "documents"}
    oov_rate: float | None = None  # share of validation tokens outside the vocabulary


def reliability(confidences: Sequence[float], correct: Sequence[bool],
                bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Equal-width confidence bins with each bin's accuracy, and the expected calibration
    error (the documents-weighted mean gap between confidence and accuracy)."""
    table = [{"low": i / bins, "high": (i + 1) / bins, "count": 0, "confidence": 0.0,
              "accuracy": 0.0} for i in range(bins)]
    for confidence, hit in zip(confidences, correct, strict=True):
        item = table[min(bins - 1, int(confidence * bins))]
        item["count"] += 1
        item["confidence"] += confidence
        item["accuracy"] += float(hit)
    total = len(confidences)
    ece = 0.0
    for item in table:
        if item["count"]:
            item["confidence"] /= item["count"]
            item["accuracy"] /= item["count"]
            ece += item["count"] / total * abs(item["accuracy"] - item["confidence"])
    return {"bins": table, "ece": ece, "documents": total}


def _sources(bundle: ModelBundle, data: Sequence[str], config: DataConfig | None
             ) -> tuple[list[str], DataConfig]:
    recorded = bundle.data_config
    if not data:
        if recorded is None or not recorded.sources:
            raise DataError("The model file records no data sources; name them with --data.")
        return list(recorded.sources), recorded
    if config is not None:
        return list(data), replace(config, sources=list(data))
    if recorded is not None and list(data) == list(recorded.sources):
        return list(data), recorded
    return list(data), DataConfig(sources=list(data))


def _evaluation_splits(bundle: ModelBundle, documents: Sequence[Document]
                       ) -> dict[str, list[Document]]:
    """train / valid / test as training used them (labels it knows; validation held out of
    train, with the run's seed, when the data has none)."""
    from lstm_studio.core.data_plan import HOLDOUT_FRACTION, stratified_holdout

    by_split: dict[str, list[Document]] = {"train": [], "valid": [], "test": []}
    for doc in documents:
        by_split.setdefault(doc.split, []).append(doc)
    if bundle.task == "classify":
        known = set(bundle.labels)
        for name in ("valid", "test"):
            by_split[name] = [d for d in by_split[name] if d.label in known]
    if not by_split["valid"] and by_split["train"]:
        by_split["train"], by_split["valid"] = stratified_holdout(
            by_split["train"], HOLDOUT_FRACTION, bundle.train_config.seed)
    return by_split


def _classifier_figures(bundle: ModelBundle, docs: list[Document],
                        progress: Progress | None) -> tuple[dict[str, Any], Any]:
    """Metrics (evaluation's) and the probabilities of each document, for cleaned docs."""
    from lstm_studio.core.batching import encode_classification
    from lstm_studio.core.evaluation import classification_metrics, predict_encoded

    index = {label: i for i, label in enumerate(bundle.labels)}
    ids = [bundle.vocab.encode(doc.text) for doc in docs]
    data = encode_classification(ids, [index[d.label] for d in docs if d.label is not None],
                                 bundle.max_len, bundle.vocab.unk_id)
    probs, loss = predict_encoded(bundle.model, data, progress=progress)
    predicted = probs.argmax(dim=1).tolist()
    metrics = classification_metrics(data.targets or [], predicted, bundle.labels)
    metrics["loss"] = loss
    return metrics, probs


def compute_card_data(bundle: ModelBundle, data: Sequence[str],
                      data_config: DataConfig | None = None, split: str | None = None,
                      progress: Progress | None = None) -> CardData:
    from lstm_studio.core.readers import load_sources

    sources, config = _sources(bundle, data, data_config)
    dataset = load_sources(sources, config, progress=progress)
    card = CardData(sources=sources,
                    raw_sizes={s: len(dataset.split(s)) for s in ("train", "valid", "test")})
    if bundle.cleaning_config is not None:
        from lstm_studio.core.cleaning import clean_dataset

        result = clean_dataset(dataset, bundle.cleaning_config, progress=progress)
        dataset = result.dataset
        card.cleaning = result.report.to_dict(include_dropped=False)
    splits = _evaluation_splits(bundle, dataset.documents)
    card.split_sizes = {name: len(docs) for name, docs in splits.items()}
    if bundle.task == "lm":
        from lstm_studio.core.evaluation import evaluate

        for name in ("valid", "test"):
            if splits[name]:
                card.metrics[name] = evaluate(bundle, splits[name], clean=False,
                                              progress=progress)
        return card
    valid_tokens = [t for d in splits["valid"] for t in d.text.split()]
    if valid_tokens:
        card.oov_rate = sum(t not in bundle.vocab for t in valid_tokens) / len(valid_tokens)
    chosen = split or ("test" if splits["test"] else "valid")
    if chosen not in splits or not splits[chosen]:
        raise DataError(f"The data has no {chosen} documents with the model's labels to "
                        "compute the calibration on.")
    names = [name for name in ("valid", "test") if splits[name]]
    if chosen not in names:
        names.append(chosen)
    for done, name in enumerate(names):
        report(progress, done, len(names), f"Scoring the {name} split")
        metrics, probs = _classifier_figures(bundle, splits[name], progress)
        card.metrics[name] = metrics
        if name == chosen:
            confidence, predicted = probs.max(dim=1)
            index = {label: i for i, label in enumerate(bundle.labels)}
            gold = [index[d.label] for d in splits[name] if d.label is not None]
            card.calibration = {"split": name, **reliability(
                confidence.tolist(), [p == g for p, g in zip(predicted.tolist(), gold,
                                                                strict=True)])}
    return card
