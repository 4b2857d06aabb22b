"""The quality settings of a run, turned into the trainer's pieces: `train_model` calls these.

From a TrainConfig and the training split this module prepares pretrained embeddings (a
vector file or word2vec on the training text; before the model is built, because the file
decides the embedding size), then the `Objective` (class weights, selection metric), the
`BatchSampler` (over-sampling) and the callbacks (frozen pretrained rows), and after
training the calibration fitted on validation. Everything it decides is reported in one
dict (`TrainResult.quality`, the run store's summary, `train --json`) and in notes for the
text output, so a user can see which metric kept which epoch and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from lstm_studio.core.batching import EncodedSet
from lstm_studio.core.class_balance import (
    OversampleSampler,
    class_weights,
    resolve_selection,
)
from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.embeddings import (
    Pretrained,
    coverage,
    from_word_vectors,
    initialise_embedding,
    read_vectors,
    token_counts,
)
from lstm_studio.core.objective import Objective
from lstm_studio.core.progress import Progress
from lstm_studio.core.sampling import BatchSampler
from lstm_studio.core.trainer import Trainer, TrainerCallback


class FreezePretrainedRows(TrainerCallback):
    """Keeps the embedding rows that got a pretrained vector fixed during epochs 1..N.

    Their gradient is zeroed by a hook (so Adam's moments for them stay zero and its update
    is exactly zero); with weight decay, which moves a weight even without a gradient, the
    rows are also copied back after each step. From epoch N+1 on they learn like the rest.
    """

    def __init__(self, rows: torch.Tensor, epochs: int) -> None:
        self.rows = rows.bool()
        self.epochs = epochs
        self._hook: Any = None
        self._saved: torch.Tensor | None = None
        self._restore = False

    def _weight(self, trainer: Trainer) -> torch.nn.Parameter:
        return trainer.model.embedding.weight  # type: ignore[union-attr,return-value]

    def on_fit_start(self, trainer: Trainer) -> None:
        self._restore = trainer.config.weight_decay > 0

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        weight = self._weight(trainer)
        if epoch <= self.epochs and self._hook is None:
            keep = (~self.rows).to(weight.device, weight.dtype).unsqueeze(1)
            self._hook = weight.register_hook(lambda grad: grad * keep)
            rows = self.rows.to(weight.device)
            self._saved = weight.detach()[rows].clone() if self._restore else None
        elif epoch > self.epochs:
            self._release()

    def on_step_end(self, trainer: Trainer, event: Any) -> None:
        if self._hook is not None and self._saved is not None:
            weight = self._weight(trainer)
            with torch.no_grad():
                weight[self.rows.to(weight.device)] = self._saved

    def on_fit_end(self, trainer: Trainer, result: Any) -> None:
        self._release()

    def _release(self) -> None:
        if self._hook is not None:
            self._hook.remove()
        self._hook, self._saved = None, None


@dataclass
class EmbeddingStart:
    pretrained: Pretrained
    info: dict[str, Any]
    notes: list[str]


def prepare_embeddings(config: TrainConfig, model_config: ModelConfig, itos: list[str],
                       train_texts: Sequence[str], progress: Progress | None = None
                       ) -> tuple[EmbeddingStart | None, ModelConfig]:
    """Read (or train) the vectors for the vocabulary `itos`; the model config gets the
    vectors' size as its embedding size. None when the settings ask for no vectors."""
    if not (config.embeddings or config.word2vec):
        return None, model_config
    notes: list[str] = []
    if config.embeddings:
        pretrained = read_vectors(config.embeddings, itos, progress=progress)
        assert pretrained.report is not None
        notes.extend(pretrained.report.notes())
        source = str(config.embeddings)
    else:
        from lstm_studio.core.word2vec import Word2VecSettings, train_word2vec, word_vectors

        settings = Word2VecSettings(dim=model_config.embedding_dim, seed=config.seed,
                                    threads=config.threads)
        keyed = train_word2vec(train_texts, settings, progress=progress)
        source = "word2vec on the training split"
        pretrained = from_word_vectors(word_vectors(keyed), itos, settings.dim, source)
    if pretrained.dim != model_config.embedding_dim:
        notes.append(f"Embedding size set to {pretrained.dim} to match the vectors (it was "
                     f"{model_config.embedding_dim}).")
        model_config = replace(model_config, embedding_dim=pretrained.dim)
    cover = coverage(pretrained, itos, token_counts(train_texts))
    notes.append(cover.describe())
    info = {"source": source, "dim": pretrained.dim, "coverage": cover.to_dict(),
            "frozen_epochs": int(config.freeze_embeddings),
            "file": pretrained.report.to_dict() if pretrained.report else None}
    return EmbeddingStart(pretrained, info, notes), model_config


@dataclass
class TrainingPlan:
    objective: Objective
    sampler: BatchSampler | None
    callbacks: list[TrainerCallback]
    quality: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def plan_training(config: TrainConfig, task: str, labels: list[str], train_set: EncodedSet,
                  model: torch.nn.Module, start: EmbeddingStart | None) -> TrainingPlan:
    """Objective, sampler and callbacks for these settings; the embedding is initialised."""
    quality: dict[str, Any] = {}
    notes: list[str] = []
    callbacks: list[TrainerCallback] = []
    counts: dict[str, int] = {}
    if task == "classify":
        assert train_set.targets is not None
        tally = Counter(train_set.targets)
        counts = {label: tally.get(i, 0) for i, label in enumerate(labels)}
        quality["label_counts"] = counts
    selection = resolve_selection(config.select, task, counts)
    quality["selection"] = {"metric": selection.metric, "reason": selection.reason}
    weights = class_weights(list(counts.values()), config.class_weight) if counts else None
    if weights is not None:
        quality["class_weights"] = {"method": config.class_weight,
                                    "weights": dict(zip(labels, weights, strict=True))}
        notes.append("Class weights (" + config.class_weight + "): "
                     + ", ".join(f"{label} {w:.2f}" for label, w in zip(labels, weights,
                                                                          strict=True)) + ".")
    sampler = None
    if config.oversample and task == "classify":
        assert train_set.targets is not None
        sampler = OversampleSampler(train_set.input_lengths(), train_set.targets,
                                    config.batch_size, config.seed)
        quality["oversample"] = True
        notes.append("Smaller classes are over-sampled up to the largest class each epoch.")
    if start is not None:
        initialise_embedding(model.embedding, start.pretrained, config.seed)  # type: ignore[arg-type]
        quality["embeddings"] = start.info
        notes.extend(start.notes)
        if config.freeze_embeddings:
            callbacks.append(FreezePretrainedRows(torch.from_numpy(start.pretrained.found),
                                                  int(config.freeze_embeddings)))
    objective = Objective(task, weights, selection.metric)
    return TrainingPlan(objective, sampler, callbacks, quality, notes)


def calibrate(model: torch.nn.Module, valid: EncodedSet, config: TrainConfig,
              device: Any) -> dict[str, Any]:
    """Temperature and/or threshold fitted on validation, as asked; {} when neither."""
    if not (config.temperature_scaling or config.tune_threshold) or valid.task != "classify":
        return {}
    from lstm_studio.core.calibration import fit_calibration
    from lstm_studio.core.evaluation import predict_logits

    logits = predict_logits(model, valid, max(64, config.batch_size * 2), device)
    assert valid.targets is not None
    return fit_calibration(logits, valid.targets, config.temperature_scaling,
                           config.tune_threshold)


def selection_summary(quality: dict[str, Any], best_epoch: int | None) -> str:
    """"Kept epoch 3 by validation macro-F1: <reason>." for the text output."""
    selection = quality.get("selection")
    if not selection:
        return ""
    name = {"loss": "validation loss", "accuracy": "validation accuracy",
            "macro_f1": "validation macro-F1"}[selection["metric"]]
    kept = f"Kept epoch {best_epoch}" if best_epoch else "Selected"
    return f"{kept} by {name}: {selection['reason']}."
