"""What training minimises and how an epoch's weights are judged.

`Objective.loss` is the per-batch loss (cross-entropy for both tasks; language-model padding
targets are ignored; a classifier's classes may be weighted, see core/class_balance.py);
`Objective.selection_key` ranks validated epochs (higher is better) for keeping the best
weights, for early stopping and, through its first element, for the plateau scheduler, so
those three always follow the same metric. Both live here, outside the loop, so a weighted
loss or another selection metric is one change in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from lstm_studio.core.batching import IGNORE_INDEX

SELECTION_NAMES = {"loss": "validation loss", "accuracy": "validation accuracy",
                   "macro_f1": "validation macro-F1"}


@dataclass
class Objective:
    task: str  # "classify" or "lm"
    # Per-class loss weights in label order (None: unweighted); see class_balance.class_weights.
    class_weights: Sequence[float] | None = None
    # "loss", "accuracy" or "macro_f1"; None: accuracy for classifiers, loss for LMs.
    selection: str | None = None
    _weights: torch.Tensor | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.selection is None:
            self.selection = "loss" if self.task == "lm" else "accuracy"
        if self.task == "lm" and self.selection != "loss":
            raise ValueError("a language model is selected by its loss")

    def _weight_tensor(self, device: torch.device) -> torch.Tensor | None:
        if self.class_weights is None:
            return None
        if self._weights is None or self._weights.device != device:
            self._weights = torch.tensor(list(self.class_weights), dtype=torch.float32,
                                         device=device)
        return self._weights

    def loss(self, logits: torch.Tensor, targets: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean loss, number of correct predictions; 0 for language models).

        With class weights the mean is PyTorch's weighted mean (sum of w_y * loss over the sum
        of w_y), so a batch's loss stays on the same scale whatever its label mix.
        """
        if self.task == "lm":
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                   ignore_index=IGNORE_INDEX)
            return loss, torch.zeros((), device=logits.device)
        correct = (logits.argmax(dim=-1) == targets).sum()
        weight = self._weight_tensor(logits.device)
        return F.cross_entropy(logits, targets, weight=weight), correct

    def selection_key(self, metrics: dict, train_loss: float) -> tuple[float, ...]:
        """Higher is better; the first element is the chosen metric (the scheduler's value),
        the rest break ties. The training loss when there is no validation split."""
        if not metrics:
            return (-train_loss,)
        if self.selection == "loss":
            return (-metrics["loss"],)
        if self.selection == "macro_f1":
            return (metrics["macro_f1"], metrics["accuracy"], -metrics["loss"])
        return (metrics["accuracy"], -metrics["loss"])

    def describe_selection(self) -> str:
        return SELECTION_NAMES[self.selection or "loss"]
