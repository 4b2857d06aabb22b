"""`PortablePredictor`: raw text in, `predict --json` out, with onnxruntime and no PyTorch.

It reads the manifest an LSTM Studio ONNX export carries, rebuilds the text pipeline with
`TextPipeline.from_dict` (so cleaning, tokenisation and vocabulary are the app's own code, not
a copy), applies the app's truncation and <bos> rules from `core.prediction`, and runs the
graph on a padded batch. Imports: the standard library, numpy (which onnxruntime brings),
onnxruntime, and torch-free `lstm_studio.core` modules.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from lstm_studio.core.errors import CheckpointError, UserError
from lstm_studio.core.export.manifest import (
    INPUT_IDS,
    INPUT_LENGTHS,
    MANIFEST_KEY,
    OUTPUT_LOGITS,
    OUTPUT_PROBABILITIES,
    Manifest,
    read_manifest,
)
from lstm_studio.core.prediction import (
    classification_record,
    classifier_ids,
    decided_label,
    lm_prompt_ids,
    never_suggested,
    next_words_record,
    tempered,
)
from lstm_studio.core.text_pipeline import Encoded

MISSING_RUNTIME = ("The portable predictor needs onnxruntime; install it with: "
                   "pip install onnxruntime")


def _runtime() -> Any:
    try:
        import onnxruntime
    except ImportError as error:
        raise UserError(MISSING_RUNTIME) from error
    return onnxruntime


class PortablePredictor:
    """An exported model, ready to classify text (or suggest next words for an LM)."""

    def __init__(self, path: str | os.PathLike[str], threads: int | None = None) -> None:
        source = Path(path)
        name = source.name
        if not source.is_file():
            raise CheckpointError(f"Model file {source} does not exist."
                                  if not source.exists() else f"{source} is not a file.")
        runtime = _runtime()
        options = runtime.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        options.log_severity_level = 3  # errors only: the user sees our sentence instead
        try:
            self.session = runtime.InferenceSession(str(source), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own (pybind) error types
            raise CheckpointError(f"{name} is not an ONNX model onnxruntime can load.") from error
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.manifest: Manifest = read_manifest(metadata.get(MANIFEST_KEY), name)
        inputs = {item.name for item in self.session.get_inputs()}
        if inputs != {INPUT_IDS, INPUT_LENGTHS}:
            raise CheckpointError(f"{name} does not have the inputs an LSTM Studio export has.")
        self.pipeline = self.manifest.pipeline

    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def labels(self) -> list[str]:
        return list(self.manifest.labels)

    def prepare(self, text: str) -> Encoded:
        """Clean, tokenise and number `text` exactly as the app does (no truncation)."""
        return self.pipeline.prepare(text)

    def _run(self, rows: list[list[int]], output: str) -> np.ndarray:
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = row
        return self.session.run([output], {INPUT_IDS: ids, INPUT_LENGTHS: lengths})[0]

    def predict_many(self, texts: list[str]) -> list[dict[str, float]]:
        """Each label's probability for each text (one padded batch)."""
        if self.task != "classify":
            raise UserError("This model is a language model; use next_words instead.")
        if not texts:
            return []
        unk = self.pipeline.vocab.unk_id
        rows = [classifier_ids(self.prepare(text).ids, self.manifest.max_len, unk)
                for text in texts]
        probabilities = self._run(rows, OUTPUT_PROBABILITIES)
        temperature = self.manifest.calibration.get("temperature")
        return [{label: float(p) for label, p in
                 zip(self.labels, tempered(row, temperature), strict=True)}
                for row in probabilities.tolist()]

    def predict(self, text: str) -> dict[str, float]:
        return self.predict_many([text])[0]

    def next_words(self, text: str, k: int = 10) -> list[tuple[str, float]]:
        """A language model's top-k next words after `text` (special tokens left out)."""
        if self.task != "lm":
            raise UserError("This model is a classifier; it does not predict next words.")
        vocab = self.pipeline.vocab
        logits = self._run([lm_prompt_ids(self.prepare(text).ids, vocab.bos_id)],
                           OUTPUT_LOGITS)[0].astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        probabilities[never_suggested(vocab)] = 0.0
        top = np.argsort(-probabilities, kind="stable")[:max(0, min(k, probabilities.size))]
        return [(vocab.itos[i], float(probabilities[i])) for i in top.tolist()]

    def record(self, text: str, top: int = 10) -> dict[str, Any]:
        """What `lstm-studio predict --json` prints for `text`."""
        encoded = self.prepare(text)
        if self.task == "lm":
            return next_words_record(encoded, self.next_words(text, top), self.pipeline)
        probabilities = self.predict(text)
        label = decided_label(probabilities, self.labels, self.manifest.calibration)
        return classification_record(encoded, probabilities, self.pipeline, label)


def load(path: str | os.PathLike[str], threads: int | None = None) -> PortablePredictor:
    """Open an ONNX model exported by `lstm-studio export --format onnx`."""
    return PortablePredictor(path, threads)
