"""What a model is fed for one text and what a prediction reports (torch-free).

The app's predictor (`ModelBundle`), the `predict` command and the exported torch-free
predictor (`lstm_studio.portable`) all answer "what does this model say about this text?".
The rules that sit between the text pipeline's ids and the network (truncation, the stand-in
for an empty text, the <bos> a language model reads first, the special tokens never offered as
a next word) and the JSON a prediction is reported as live here once, so the two predictors
cannot drift apart. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lstm_studio.core.text_pipeline import Encoded, TextPipeline
from lstm_studio.core.vocab import Vocabulary


def classifier_ids(ids: Sequence[int], max_len: int | None, unk_id: int) -> list[int]:
    """The ids a classifier reads: the first `max_len` (training truncates the same way), and
    a single <unk> for a text with no token left, because a recurrent layer needs one step."""
    sequence = list(ids[:max_len] if max_len else ids)
    return sequence or [unk_id]


def lm_prompt_ids(ids: Sequence[int], bos_id: int | None) -> list[int]:
    """A language model reads <bos> before the prompt, as every training document starts."""
    return [bos_id, *ids] if bos_id is not None else list(ids) or [0]


def never_suggested(vocab: Vocabulary) -> list[int]:
    """Ids a language model must never offer as the next word (padding, start of text)."""
    return [i for i in (vocab.pad_id, vocab.bos_id) if i is not None]


def tempered(probabilities: Sequence[float], temperature: float | None) -> list[float]:
    """softmax(z / T) computed from softmax(z): p^(1/T), renormalised. A model calibrated on
    validation (core/calibration.py) stores T; the torch-free predictor only has the graph's
    probabilities, and this gives it exactly the app's calibrated numbers."""
    if not temperature or temperature == 1.0:
        return list(probabilities)
    peak = max(probabilities)
    if peak <= 0.0:
        return list(probabilities)
    powered = [(p / peak) ** (1.0 / temperature) for p in probabilities]
    total = sum(powered)
    return [p / total for p in powered]


def decided_label(probabilities: Mapping[str, float], labels: Sequence[str],
                  calibration: Mapping[str, Any] | None) -> str:
    """The predicted label: a stored two-class decision threshold (on the second label's
    probability) when there is one, else the most probable label."""
    threshold = (calibration or {}).get("threshold")
    if threshold is not None and len(labels) == 2:
        return labels[1] if probabilities[labels[1]] >= float(threshold) else labels[0]
    return max(probabilities, key=lambda name: probabilities[name])


def _token_fields(encoded: Encoded, pipeline: TextPipeline) -> dict[str, Any]:
    """The tokens after the whole pipeline, the unknown ones, and the pipeline's steps."""
    return {"cleaned": encoded.cleaned, "tokens": list(encoded.tokens),
            "oov": [t for t, o in zip(encoded.tokens, encoded.oov, strict=True) if o],
            "pipeline": pipeline.describe()}


def classification_record(encoded: Encoded, probabilities: Mapping[str, float],
                          pipeline: TextPipeline, label: str | None = None) -> dict[str, Any]:
    """`predict --json` for a classifier: the label (`label`, as the model's stored decision
    rule chose it, else the most likely one), every label's probability, the tokens."""
    label = label or max(probabilities, key=lambda name: probabilities[name])
    return {"label": label, "probabilities": dict(probabilities),
            **_token_fields(encoded, pipeline)}


def next_words_record(encoded: Encoded, words: Sequence[tuple[str, float]],
                      pipeline: TextPipeline) -> dict[str, Any]:
    """`predict --json` for a language model: the likeliest next words, the tokens."""
    return {"next_words": [{"word": w, "probability": p} for w, p in words],
            **_token_fields(encoded, pipeline)}
