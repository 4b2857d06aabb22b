"""One model file: weights as safetensors, everything else as JSON in its metadata.

The safetensors header's `__metadata__` holds a single JSON payload with the model, training,
vocabulary, cleaning and data configs, the vocabulary itself, the labels, the metric history
and the app version, so a loaded file replays the exact preprocessing and rebuilds the exact
model. Nothing is pickled. A tied language-model head is stored once (as the embedding) and
re-tied on load, since safetensors refuses tensors that share memory.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from lstm_studio import __version__
from lstm_studio.core.atomic import atomic_write_bytes
from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_from_dict,
    config_to_dict,
)
from lstm_studio.core.errors import CheckpointError, ConfigError
from lstm_studio.core.models import RecurrentModel, build_model
from lstm_studio.core.text_pipeline import Encoded, TextPipeline
from lstm_studio.core.vocab import Vocabulary

FORMAT_NAME = "lstm-studio-model"
FORMAT_VERSION = 1
TIED_KEY = "head.weight"


@dataclass
class ModelBundle:
    model: RecurrentModel
    model_config: ModelConfig
    train_config: TrainConfig
    vocab_config: VocabConfig
    vocab: Vocabulary
    labels: list[str]
    cleaning_config: CleaningConfig | None = None
    data_config: DataConfig | None = None
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)  # run_id, app_version, created...
    # Fitted on validation (core/calibration.py): {"temperature", "threshold", ...}; empty
    # for an uncalibrated model. Applied by predict_many/label_for and by evaluation.
    calibration: dict = field(default_factory=dict)

    @property
    def task(self) -> str:
        return self.model_config.task

    @property
    def max_len(self) -> int | None:
        return self.train_config.max_len or self.vocab_config.max_len

    @property
    def pipeline(self) -> TextPipeline:
        """The text pipeline this model was trained with (see core/text_pipeline.py)."""
        return TextPipeline(self.cleaning_config, self.vocab)

    def prepare(self, text: str) -> Encoded:
        """Apply the stored cleaning and vocabulary (no truncation) to a user's text."""
        return self.pipeline.prepare(text)

    def _device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def predict_many(self, texts: list[str]) -> list[dict[str, float]]:
        """Class probabilities for several texts (batched, padding never read)."""
        if self.task != "classify":
            raise ConfigError("This model is a language model; use generation instead.")
        from lstm_studio.core.batching import collate, encode_classification

        ids = [self.prepare(text).ids for text in texts]
        data = encode_classification(ids, [0] * len(ids), self.max_len, self.vocab.unk_id)
        self.model.eval()
        batch = collate(data, list(range(len(ids))), self._device())
        from lstm_studio.core.calibration import calibrated_probs

        probs = calibrated_probs(self.model(batch.ids, batch.lengths), self.calibration).cpu()
        return [{label: float(p) for label, p in zip(self.labels, row, strict=True)}
                for row in probs.tolist()]

    def predict(self, text: str) -> dict[str, float]:
        return self.predict_many([text])[0]

    def label_for(self, probabilities: dict[str, float]) -> str:
        """The predicted label: the stored two-class threshold when there is one (on the
        second label's probability), else the most probable label."""
        threshold = self.calibration.get("threshold")
        if threshold is not None and len(self.labels) == 2:
            return self.labels[1] if probabilities[self.labels[1]] >= threshold \
                else self.labels[0]
        return max(probabilities, key=lambda label: probabilities[label])

    @torch.no_grad()
    def next_word_distribution(self, text: str, k: int = 10) -> list[tuple[str, float]]:
        """The language model's top-k next words after `text` (special tokens left out)."""
        if self.task != "lm":
            raise ConfigError("This model is a classifier; it does not predict next words.")
        ids = [self.vocab.bos_id, *self.prepare(text).ids]
        self.model.eval()
        tensor = torch.tensor([ids], dtype=torch.long, device=self._device())
        logits, _ = self.model.lm_step(tensor)
        probs = torch.softmax(logits[0, -1].float(), dim=-1).cpu()
        for special in (self.vocab.pad_id, self.vocab.bos_id):
            if special is not None:
                probs[special] = 0.0
        top = torch.topk(probs, min(k, probs.numel()))
        return [(self.vocab.itos[i], float(p))
                for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)]


def _json_safe(value: Any) -> Any:
    """Replace NaN/inf (not valid JSON) with None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def bundle_payload(bundle: ModelBundle) -> dict[str, Any]:
    return _json_safe({
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "model_config": config_to_dict(bundle.model_config),
        "train_config": config_to_dict(bundle.train_config),
        "vocab_config": config_to_dict(bundle.vocab_config),
        "cleaning_config": (config_to_dict(bundle.cleaning_config)
                            if bundle.cleaning_config is not None else None),
        "data_config": (config_to_dict(bundle.data_config)
                        if bundle.data_config is not None else None),
        "vocab": bundle.vocab.to_dict(),
        "labels": list(bundle.labels),
        "history": bundle.history,
        "metrics": bundle.metrics,
        "info": bundle.info,
        "calibration": bundle.calibration,
    })


def save_checkpoint(bundle: ModelBundle, path: str | os.PathLike[str]) -> Path:
    """Write the bundle atomically; returns the path written."""
    tensors = {key: value.detach().to("cpu").contiguous().clone()
               for key, value in bundle.model.state_dict().items()}
    if bundle.model_config.tie_weights:
        tensors.pop(TIED_KEY, None)
    payload = bundle_payload(bundle)
    metadata = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION),
                "payload": json.dumps(payload, ensure_ascii=False)}
    target = Path(path)
    atomic_write_bytes(target, save_tensors(tensors, metadata=metadata))
    return target


def _read_header(data: bytes, name: str) -> tuple[dict, int]:
    foreign = CheckpointError(f"{name} is not an LSTM Studio model file.")
    if len(data) < 8:
        raise foreign
    size = int.from_bytes(data[:8], "little")
    if size <= 0 or size > 100_000_000:
        raise foreign
    if 8 + size > len(data):
        raise CheckpointError(f"{name} is truncated: its header is incomplete.")
    try:
        header = json.loads(data[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise foreign from error
    if not isinstance(header, dict):
        raise foreign
    return header, size


def load_checkpoint(path: str | os.PathLike[str], device: str = "cpu") -> ModelBundle:
    """Read a model file; any problem is a CheckpointError with one clear sentence."""
    source = Path(path)
    name = source.name
    try:
        data = source.read_bytes()
    except FileNotFoundError as error:
        raise CheckpointError(f"Model file {source} does not exist.") from error
    except IsADirectoryError as error:
        raise CheckpointError(f"{source} is a folder, not a model file.") from error
    except OSError as error:
        raise CheckpointError(f"Model file {source} cannot be read ({error.strerror}).") from error
    header, size = _read_header(data, name)
    metadata = header.get("__metadata__") or {}
    if metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{name} is a tensor file but not an LSTM Studio model.")
    try:
        version = int(metadata.get("format_version", "0"))
    except ValueError as error:
        raise CheckpointError(f"{name} has an unreadable format version.") from error
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{name} was written by a newer LSTM Studio (model format "
                              f"{version}); update the app to open it.")
    ends = [entry["data_offsets"][1] for key, entry in header.items()
            if key != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry]
    if len(data) - 8 - size < max(ends, default=0):
        raise CheckpointError(f"{name} is truncated: its weights are incomplete.")
    try:
        payload = json.loads(metadata["payload"])
        tensors = load_tensors(data)
    except Exception as error:  # safetensors raises its own error types
        raise CheckpointError(f"{name} is corrupt and cannot be loaded.") from error
    return _bundle_from(payload, tensors, name, device)


def _bundle_from(payload: dict, tensors: dict[str, torch.Tensor], name: str,
                 device: str) -> ModelBundle:
    try:
        model_config = config_from_dict(ModelConfig, payload["model_config"])
        train_config = config_from_dict(TrainConfig, payload.get("train_config"))
        vocab_config = config_from_dict(VocabConfig, payload.get("vocab_config"))
        cleaning = payload.get("cleaning_config")
        data_cfg = payload.get("data_config")
        vocab = Vocabulary.from_dict(payload["vocab"])
        model = build_model(model_config)
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise CheckpointError(f"{name} is corrupt: its configuration cannot be read.") from error
    expected = set(model.state_dict())
    if model_config.tie_weights:
        expected.discard(TIED_KEY)
    if set(tensors) != expected:
        raise CheckpointError(f"{name} is corrupt: its weights do not match its model "
                              "configuration.")
    try:
        model.load_state_dict(tensors, strict=not model_config.tie_weights)
    except RuntimeError as error:
        raise CheckpointError(f"{name} is corrupt: its weights do not match its model "
                              "configuration.") from error
    model.to(device).eval()
    return ModelBundle(
        model=model, model_config=model_config, train_config=train_config,
        vocab_config=vocab_config, vocab=vocab, labels=list(payload.get("labels") or []),
        cleaning_config=config_from_dict(CleaningConfig, cleaning) if cleaning else None,
        data_config=config_from_dict(DataConfig, data_cfg) if data_cfg else None,
        history=list(payload.get("history") or []), metrics=dict(payload.get("metrics") or {}),
        info=dict(payload.get("info") or {}, app_version=payload.get("app_version")),
        calibration=dict(payload.get("calibration") or {}),
    )
