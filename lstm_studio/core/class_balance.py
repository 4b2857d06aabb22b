"""Label distributions that are not 50/50: class weights, over-sampling, the selection metric.

A classifier trained on 46% negative / 4% neutral / 50% positive reviews can reach 90%
accuracy while almost never predicting "neutral". Three remedies live here, each a plain
function of the training split's label counts (never of validation or test):

- `class_weights`: loss weights per class. "balanced" is inverse frequency
  (N / (K * n_c), scikit-learn's rule); "effective" is the class-balanced loss of Cui et al.
  (2019), inverse "effective number of samples" (1 - beta^n_c) / (1 - beta) with beta =
  0.999, a softer weighting that stops growing once a class is a few thousand documents
  large. Both are scaled so that the average weight over the training documents is 1, so
  the loss (and a learning rate tuned on it) keeps its scale.
- `OversampleSampler`: each epoch repeats documents of the smaller classes (drawn with the
  seed and the epoch) until every class is as large as the largest, then length-buckets.
- `resolve_selection`: which validation metric ranks epochs. "auto" is macro-F1 when the
  training split is imbalanced (`is_imbalanced`) and accuracy otherwise, because accuracy
  rewards a model that ignores a small class.

Importing this module does not import torch (the bucketing helper is imported when a sampler
plans an epoch), so the Data and Vocabulary views can call the warning helpers at start-up.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lstm_studio.core.errors import ConfigError

EFFECTIVE_BETA = 0.999
# A training split is "imbalanced" when its smallest class has less than this share of its
# largest class's documents (4% vs 50%: 0.08; 45% vs 55%: 0.82).
IMBALANCE_RATIO = 0.5
WARN_SHARE = 0.10  # the Data and Vocabulary views warn about a class under this share
REPORT_SHARE = 0.20  # `train` prints per-class F1 when a class is under this share


def class_weights(counts: Sequence[int], method: str) -> list[float] | None:
    """Loss weights in label order (None for "none"); the mean over documents is 1."""
    if method == "none":
        return None
    if method not in ("balanced", "effective"):
        raise ConfigError(f"Unknown class weighting {method!r}; choose none, balanced or "
                          "effective.")
    if any(count <= 0 for count in counts):
        raise ConfigError("Every label needs at least one training document to be weighted.")
    if method == "balanced":
        raw = [1.0 / count for count in counts]
    else:
        raw = [(1.0 - EFFECTIVE_BETA) / (1.0 - EFFECTIVE_BETA ** count) for count in counts]
    total = sum(counts)
    scale = total / sum(w * n for w, n in zip(raw, counts, strict=True))
    return [w * scale for w in raw]


def shares(counts: Mapping[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {label: count / total if total else 0.0 for label, count in counts.items()}


def is_imbalanced(counts: Sequence[int]) -> bool:
    positive = [count for count in counts if count > 0]
    if len(positive) < 2:
        return False
    return min(positive) / max(positive) < IMBALANCE_RATIO


def small_classes(counts: Mapping[str, int], share: float) -> list[str]:
    """Labels holding less than `share` of the documents, smallest first."""
    fractions = shares(counts)
    return sorted((label for label, f in fractions.items() if f < share),
                  key=lambda label: (fractions[label], label))


def imbalance_warning(counts: Mapping[str, int]) -> str | None:
    """One sentence for the Data and Vocabulary views when a class is under 10%, else None."""
    if len([c for c in counts.values() if c > 0]) < 2:
        return None
    small = small_classes(counts, WARN_SHARE)
    if not small:
        return None
    fractions = shares(counts)
    listed = ", ".join(f"{label} {fractions[label]:.1%}" for label in small)
    return (f"Small class{'es' if len(small) > 1 else ''}: {listed} of the training "
            "documents. Accuracy will look good even if the model never predicts "
            f"{'them' if len(small) > 1 else 'it'}; in the Train tab choose class weighting "
            "\"balanced\" and select by macro-F1.")


@dataclass(frozen=True)
class Selection:
    metric: str  # "loss", "accuracy" or "macro_f1"
    reason: str  # one sentence: why this metric

    def describe(self) -> str:
        return {"loss": "validation loss", "accuracy": "validation accuracy",
                "macro_f1": "validation macro-F1"}[self.metric]


def resolve_selection(select: str, task: str, counts: Mapping[str, int]) -> Selection:
    """The metric that ranks epochs, and why (the "auto" rule is in the module docstring)."""
    if task == "lm":
        return Selection("loss", "language models are judged by validation loss")
    if select != "auto":
        return Selection(select, "chosen in the settings")
    values = list(counts.values())
    if is_imbalanced(values):
        smallest = min(counts, key=lambda label: (counts[label], label))
        share = shares(counts)[smallest]
        return Selection("macro_f1", f"the training split is imbalanced ({smallest} is "
                                     f"{share:.1%} of it), and accuracy would reward ignoring "
                                     "the small class")
    return Selection("accuracy", "the training split is balanced enough for accuracy to "
                                 "judge every class")


class OversampleSampler:
    """Length-bucketed batches over an epoch in which every class is repeated up to the size
    of the largest class (extra copies drawn with (seed, epoch), so a resumed run matches)."""

    def __init__(self, lengths: Sequence[int], targets: Sequence[int], batch_size: int,
                 seed: int) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.by_class: dict[int, list[int]] = {}
        for index, target in enumerate(targets):
            self.by_class.setdefault(int(target), []).append(index)
        self.largest = max((len(v) for v in self.by_class.values()), default=0)

    def epoch_indices(self, epoch: int) -> list[int]:
        rng = random.Random(f"oversample:{self.seed}:{epoch}")
        pool: list[int] = []
        for label in sorted(self.by_class):
            members = self.by_class[label]
            pool.extend(members)
            missing = self.largest - len(members)
            whole, rest = divmod(missing, len(members))
            pool.extend(members * whole)
            pool.extend(rng.sample(members, rest))
        return pool

    def batches(self, epoch: int) -> list[list[int]]:
        from lstm_studio.core.batching import bucket_batches

        pool = self.epoch_indices(epoch)
        lengths = [self.lengths[i] for i in pool]
        return [[pool[j] for j in batch]
                for batch in bucket_batches(lengths, self.batch_size, True, self.seed, epoch)]
