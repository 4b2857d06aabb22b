"""What training minimises and how an epoch's weights are judged.

`Objective.loss` is the per-batch loss (cross-entropy for both tasks; language-model padding
targets are ignored); `Objective.selection_key` ranks validated epochs (higher is better) for
keeping the best weights and for early stopping. Both live here, outside the loop, so a
weighted loss or another selection metric is one change in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lstm_studio.core.batching import IGNORE_INDEX


@dataclass
class Objective:
    task: str  # "classify" or "lm"

    def loss(self, logits: torch.Tensor, targets: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean loss, number of correct predictions; 0 for language models)."""
        if self.task == "lm":
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                   ignore_index=IGNORE_INDEX)
            return loss, torch.zeros((), device=logits.device)
        correct = (logits.argmax(dim=-1) == targets).sum()
        return F.cross_entropy(logits, targets), correct

    def selection_key(self, metrics: dict, train_loss: float) -> tuple[float, ...]:
        """Higher is better: accuracy then -loss for classifiers, -loss otherwise; the
        training loss when there is no validation split."""
        if not metrics:
            return (-train_loss,)
        if self.task == "lm":
            return (-metrics["loss"],)
        return (metrics["accuracy"], -metrics["loss"])

    def describe_selection(self) -> str:
        return "validation loss" if self.task == "lm" else "validation accuracy"
