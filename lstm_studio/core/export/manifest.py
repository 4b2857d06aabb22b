"""The text pipeline an exported ONNX model carries, as JSON (torch-free, onnx-free).

An ONNX file only knows ids. To turn raw text into those ids exactly as `lstm-studio predict`
does, the exporter stores this manifest in the file's metadata (key `MANIFEST_KEY`) and beside
it as `NAME.pipeline.json` for clients in other languages: the `TextPipeline` (cleaning,
tokenizer, vocabulary, via its own `to_dict`), the labels, the truncation length, the task and
the names of the graph's inputs and outputs. `read_manifest` is the one reader, used by the
portable predictor, and says in one sentence what is wrong with a file that is not ours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lstm_studio.core.errors import CheckpointError, ConfigError
from lstm_studio.core.text_pipeline import TextPipeline

MANIFEST_KEY = "lstm_studio.pipeline"
FORMAT_NAME = "lstm-studio-onnx"
FORMAT_VERSION = 1
INPUT_IDS = "ids"  # int64 [batch, steps], padded with 0 after each text's last id
INPUT_LENGTHS = "lengths"  # int64 [batch], real ids per row (at least 1)
OUTPUT_PROBABILITIES = "probabilities"  # classify: float [batch, classes]
OUTPUT_LOGITS = "logits"  # classify: [batch, classes]; lm: next-word logits [batch, vocab]


@dataclass
class Manifest:
    task: str  # "classify" or "lm"
    labels: list[str]
    max_len: int | None
    pipeline: TextPipeline
    model: dict[str, Any]  # the ModelConfig as a dict, for display
    app_version: str | None = None
    # Fitted on validation ({"temperature", "threshold"}); applied by the predictor as the app
    # applies it (core/prediction.py: tempered, decided_label).
    calibration: dict[str, Any] = field(default_factory=dict)


def manifest_dict(pipeline: TextPipeline, task: str, labels: list[str], max_len: int | None,
                  model: dict[str, Any], app_version: str,
                  calibration: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": app_version,
        "task": task,
        "labels": list(labels),
        "max_len": max_len,
        "inputs": {"ids": INPUT_IDS, "lengths": INPUT_LENGTHS},
        "outputs": ({"probabilities": OUTPUT_PROBABILITIES, "logits": OUTPUT_LOGITS}
                    if task == "classify" else {"next_word_logits": OUTPUT_LOGITS}),
        "model": model,
        "pipeline": pipeline.to_dict(),
        "calibration": dict(calibration or {}),
    }


def read_manifest(text: str | None, name: str) -> Manifest:
    """Parse the manifest stored in `name`; a foreign or damaged one is a CheckpointError."""
    if text is None:
        raise CheckpointError(f"{name} is an ONNX model but was not exported by LSTM Studio "
                              "(it carries no text pipeline), so raw text cannot be fed to it.")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise CheckpointError(f"{name} has a damaged text pipeline in its metadata.") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{name} carries metadata that is not an LSTM Studio pipeline.")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{name} was exported by a newer LSTM Studio (format {version}); "
                              "update lstm_studio to run it.")
    try:
        task = data["task"]
        if task not in ("classify", "lm"):
            raise ValueError(task)
        max_len = data.get("max_len")
        return Manifest(task=task, labels=[str(x) for x in data.get("labels") or []],
                        max_len=int(max_len) if max_len else None,
                        pipeline=TextPipeline.from_dict(data["pipeline"]),
                        model=dict(data.get("model") or {}),
                        app_version=data.get("app_version"),
                        calibration=dict(data.get("calibration") or {}))
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise CheckpointError(f"{name} has a damaged text pipeline in its metadata.") from error
