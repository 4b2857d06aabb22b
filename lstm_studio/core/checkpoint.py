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
from lstm_studio.core.checkpoint_checks import (
    check_consistent,
    check_finite,
    read_model_file,
    tensor_entries,
)
from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_from_dict,
    config_to_dict,
    validate_model,
)
from lstm_studio.core.errors import CheckpointError, ConfigError
from lstm_studio.core.limits import InputLimits
from lstm_studio.core.models import RecurrentModel, build_model
from lstm_studio.core.prediction import decided_label, lm_prompt_ids, never_suggested
from lstm_studio.core.text_pipeline import Encoded, TextPipeline, stored_cleaning
from lstm_studio.core.vocab import Vocabulary

FORMAT_NAME = "lstm-studio-model"
# 2: the text pipeline may segment words or normalise text, which a reader of format 1 would
# silently skip; files that use neither are still written as 1 so older apps keep opening them.
FORMAT_VERSION = 2
PLAIN_FORMAT_VERSION = 1
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
    _pipeline: TextPipeline | None = field(default=None, init=False, repr=False, compare=False)
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
        """The text pipeline this model was trained with (see core/text_pipeline.py), built
        once: its steps (an abbreviation table, the segmenter) are reused for every text."""
        cached = self._pipeline
        if cached is None or cached.cleaning is not self.cleaning_config \
                or cached.vocab is not self.vocab:
            cached = self._pipeline = TextPipeline(self.cleaning_config, self.vocab)
        return cached

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
        """The predicted label under the stored decision rule (core/prediction.py)."""
        return decided_label(probabilities, self.labels, self.calibration)

    @torch.no_grad()
    def next_word_distribution(self, text: str, k: int = 10) -> list[tuple[str, float]]:
        """The language model's top-k next words after `text` (special tokens left out)."""
        if self.task != "lm":
            raise ConfigError("This model is a classifier; it does not predict next words.")
        ids = lm_prompt_ids(self.prepare(text).ids, self.vocab.bos_id)
        self.model.eval()
        tensor = torch.tensor([ids], dtype=torch.long, device=self._device())
        logits, _ = self.model.lm_step(tensor)
        probs = torch.softmax(logits[0, -1].float(), dim=-1).cpu()
        probs[never_suggested(self.vocab)] = 0.0
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


def format_version(bundle: ModelBundle) -> int:
    """The oldest format that replays this model's text pipeline."""
    cleaning = bundle.cleaning_config
    if cleaning is None:
        return PLAIN_FORMAT_VERSION
    from lstm_studio.core.config import LECTURE_STEPS

    new_steps = any(on for name, on in cleaning.steps.items() if name not in LECTURE_STEPS)
    return FORMAT_VERSION if new_steps or cleaning.segment == "on" else PLAIN_FORMAT_VERSION


def bundle_payload(bundle: ModelBundle) -> dict[str, Any]:
    pipeline = bundle.pipeline.to_dict()
    pipeline.pop("vocab")  # stored once, under "vocab"
    return _json_safe({
        "format": FORMAT_NAME,
        "format_version": format_version(bundle),
        "app_version": __version__,
        "text_pipeline": pipeline,
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
    metadata = {"format": FORMAT_NAME, "format_version": str(payload["format_version"]),
                "payload": json.dumps(payload, ensure_ascii=False)}
    target = Path(path)
    atomic_write_bytes(target, save_tensors(tensors, metadata=metadata))
    return target


def load_checkpoint(path: str | os.PathLike[str], device: str = "cpu",
                    limits: InputLimits | None = None) -> ModelBundle:
    """Read a model file; any problem is a CheckpointError with one clear sentence.

    Everything the file says is checked against everything else it says before a tensor is
    read or a model is built (see checkpoint_checks)."""
    data, header, size = read_model_file(path, limits)
    name = Path(path).name
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{name} is a tensor file but not an LSTM Studio model.")
    try:
        version = int(metadata.get("format_version", "0"))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{name} has an unreadable format version.") from error
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{name} was written by a newer LSTM Studio (model format "
                              f"{version}); update the app to open it.")
    shapes = tensor_entries(header, len(data) - 8 - size, name)
    try:
        payload = json.loads(metadata["payload"])
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        raise CheckpointError(f"{name} is corrupt and cannot be loaded.") from error
    if not isinstance(payload, dict):
        raise CheckpointError(f"{name} is corrupt and cannot be loaded.")
    return _bundle_from(payload, data, shapes, name, device)


def _stored_pipeline_cleaning(payload: dict, vocab: Vocabulary) -> CleaningConfig | None:
    """The cleaning half of the stored text pipeline. A file written before the pipeline was
    stored replays "no segmentation, no normalisation" (text_pipeline.stored_cleaning)."""
    pipeline = payload.get("text_pipeline")
    raw = pipeline.get("cleaning") if isinstance(pipeline, dict) else payload.get("cleaning_config")
    if raw:
        config_from_dict(CleaningConfig, raw, strict=True)  # wrong types: a corrupt file
    if isinstance(pipeline, dict):
        return TextPipeline.from_dict(pipeline, vocab).cleaning
    return stored_cleaning(payload.get("cleaning_config"))


def _bundle_from(payload: dict, data: bytes, shapes: dict[str, tuple[int, ...]], name: str,
                 device: str) -> ModelBundle:
    try:
        model_config = config_from_dict(ModelConfig, payload["model_config"], strict=True)
        train_config = config_from_dict(TrainConfig, payload.get("train_config"), strict=True)
        vocab_config = config_from_dict(VocabConfig, payload.get("vocab_config"), strict=True)
        data_cfg = payload.get("data_config")
        data_config = config_from_dict(DataConfig, data_cfg, strict=True) if data_cfg else None
        itos = payload["vocab"]["itos"]
        labels = payload.get("labels") or []
        if not (isinstance(itos, list) and all(isinstance(token, str) for token in itos)
                and isinstance(labels, list)):
            raise TypeError("the vocabulary or the labels are not lists of words")
        vocab = Vocabulary(itos, config_from_dict(VocabConfig, payload["vocab"].get("config"),
                                                  strict=True))
        cleaning_config = _stored_pipeline_cleaning(payload, vocab)
        validate_model(model_config)
    except (KeyError, TypeError, ValueError, AttributeError, ConfigError) as error:
        raise CheckpointError(f"{name} is corrupt: its configuration cannot be read.") from error
    check_consistent(model_config, len(vocab), labels, shapes, name)
    try:
        tensors = load_tensors(data)
    except Exception as error:  # safetensors raises its own error types
        raise CheckpointError(f"{name} is corrupt and cannot be loaded.") from error
    check_finite(tensors, name)
    model = build_model(model_config)  # its size now matches the file's own tensors
    try:
        model.load_state_dict(tensors, strict=not model_config.tie_weights)
    except RuntimeError as error:
        raise CheckpointError(f"{name} is corrupt: its weights do not match its model "
                              "configuration.") from error
    model.to(device).eval()
    history = payload.get("history")
    metrics, info = payload.get("metrics"), payload.get("info")
    return ModelBundle(
        model=model, model_config=model_config, train_config=train_config,
        vocab_config=vocab_config, vocab=vocab, labels=labels,
        cleaning_config=cleaning_config, data_config=data_config,
        # the record of how it was trained is only shown: a damaged one is left out
        history=[entry for entry in history if isinstance(entry, dict)]
        if isinstance(history, list) else [],
        metrics=metrics if isinstance(metrics, dict) else {},
        info=dict(info if isinstance(info, dict) else {}, app_version=payload.get("app_version")),
        calibration=dict(payload.get("calibration") or {}) if isinstance(
            payload.get("calibration"), dict) else {},
    )
