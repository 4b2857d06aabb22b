"""Are the model's probabilities honest? Reliability, ECE, temperature and a decision threshold.

- `reliability` bins documents by the model's confidence in its predicted class (10 equal
  bins over [0, 1]) and compares each bin's mean confidence with its accuracy; the expected
  calibration error (ECE) is their gap averaged with the bins' document shares. A model that
  says 0.9 and is right 90% of the time has ECE 0.
- `fit_temperature` finds the T that minimises the validation negative log-likelihood of
  softmax(logits / T) (Guo et al., 2017). One number: it changes how confident the model is,
  never which class it ranks first.
- `choose_threshold` (two classes) picks the probability of the second label above which a
  document gets that label, maximising validation macro-F1; this is the prior correction a
  model trained on one label mix needs when the costs or the mix differ. Unlike the
  temperature it changes decisions, and validation figures after it are optimistic (it was
  chosen there): judge it on the test split.

Both are fitted on validation, stored in the model file (`ModelBundle.calibration`) and
applied by predict, eval, the Use view and the Evaluate view through `calibrated_probs` and
`decide`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

BINS = 10
T_RANGE = (0.05, 20.0)
MAX_CANDIDATES = 2000


def reliability(probs: torch.Tensor, targets: Sequence[int] | torch.Tensor,
                bins: int = BINS) -> dict[str, Any]:
    """{"bins": [{lower, upper, count, confidence, accuracy}], "ece", "max_gap"}."""
    if probs.numel() == 0:
        return {"bins": [], "ece": 0.0, "max_gap": 0.0, "documents": 0}
    target = torch.as_tensor(targets, dtype=torch.long)
    confidence, predicted = probs.float().max(dim=1)
    correct = (predicted == target).float()
    index = torch.clamp((confidence * bins).long(), max=bins - 1)
    total = len(target)
    out, ece, max_gap = [], 0.0, 0.0
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        entry: dict[str, Any] = {"lower": b / bins, "upper": (b + 1) / bins, "count": count,
                                 "confidence": None, "accuracy": None}
        if count:
            conf = float(confidence[mask].mean())
            acc = float(correct[mask].mean())
            entry.update(confidence=conf, accuracy=acc)
            gap = abs(acc - conf)
            ece += count / total * gap
            max_gap = max(max_gap, gap)
        out.append(entry)
    return {"bins": out, "ece": ece, "max_gap": max_gap, "documents": total}


def _nll(logits: torch.Tensor, target: torch.Tensor, temperature: float) -> float:
    return float(torch.nn.functional.cross_entropy(logits / temperature, target))


def fit_temperature(logits: torch.Tensor, targets: Sequence[int] | torch.Tensor) -> float:
    """The temperature minimising the NLL; golden-section search on log T (the NLL is convex
    in 1/T, so it has one minimum there)."""
    target = torch.as_tensor(targets, dtype=torch.long)
    logits = logits.float()
    low, high = math.log(T_RANGE[0]), math.log(T_RANGE[1])
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = _nll(logits, target, math.exp(a)), _nll(logits, target, math.exp(b))
    for _ in range(60):
        if fa <= fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = _nll(logits, target, math.exp(a))
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = _nll(logits, target, math.exp(b))
    best = math.exp((low + high) / 2)
    return best if _nll(logits, target, best) <= _nll(logits, target, 1.0) else 1.0


def _macro_f1_two(predicted: torch.Tensor, target: torch.Tensor) -> float:
    scores = []
    for label in (0, 1):
        tp = int(((predicted == label) & (target == label)).sum())
        fp = int(((predicted == label) & (target != label)).sum())
        fn = int(((predicted != label) & (target == label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / 2


def choose_threshold(probs: torch.Tensor, targets: Sequence[int] | torch.Tensor) -> float:
    """The P(second label) cut-off with the best macro-F1 (ties: the one nearest 0.5)."""
    if probs.shape[1] != 2:
        raise ValueError("a decision threshold needs exactly two classes")
    target = torch.as_tensor(targets, dtype=torch.long)
    positive = probs[:, 1].float()
    candidates = torch.unique(positive)
    if len(candidates) > MAX_CANDIDATES:
        candidates = torch.quantile(positive, torch.linspace(0, 1, MAX_CANDIDATES))
    best, best_score = 0.5, _macro_f1_two((positive >= 0.5).long(), target)
    for value in candidates.tolist():
        score = _macro_f1_two((positive >= value).long(), target)
        if score > best_score + 1e-12 or (abs(score - best_score) <= 1e-12
                                          and abs(value - 0.5) < abs(best - 0.5)):
            best, best_score = float(value), score
    return best


def calibrated_probs(logits: torch.Tensor, calibration: dict | None) -> torch.Tensor:
    temperature = float((calibration or {}).get("temperature") or 1.0)
    return torch.softmax(logits.float() / temperature, dim=-1)


def decide(probs: torch.Tensor, calibration: dict | None) -> torch.Tensor:
    """Predicted class indices: the stored two-class threshold when there is one, else the
    most probable class."""
    threshold = (calibration or {}).get("threshold")
    if threshold is not None and probs.shape[1] == 2:
        return (probs[:, 1] >= float(threshold)).long()
    return probs.argmax(dim=1)


def fit_calibration(logits: torch.Tensor, targets: Sequence[int], temperature: bool,
                    threshold: bool) -> dict[str, Any]:
    """Fit what was asked on validation logits; the stored dict with before/after ECE."""
    target = torch.as_tensor(list(targets), dtype=torch.long)
    before = reliability(torch.softmax(logits.float(), dim=-1), target)["ece"]
    out: dict[str, Any] = {"fitted_on": "valid", "documents": len(target), "temperature": 1.0,
                           "threshold": None, "ece_before": before}
    if temperature:
        out["temperature"] = fit_temperature(logits, target)
    probs = calibrated_probs(logits, out)
    out["ece_after"] = reliability(probs, target)["ece"]
    if threshold and logits.shape[1] == 2:
        out["threshold"] = choose_threshold(probs, target)
    return out
