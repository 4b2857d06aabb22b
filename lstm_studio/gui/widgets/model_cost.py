"""A one-line, live account of what the settings on a form will cost to train.

It shows the parameter count and the memory training will need (core/model_size.py, the
same estimate that makes training refuse settings that cannot fit), against the memory the
machine has free, and turns red with the reason when it will not fit, so the user sees the
problem while typing instead of after pressing Train. No torch import: the estimate is
worked out from the settings alone.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QWidget

from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.limits import size_text
from lstm_studio.core.model_size import (
    ASSUMED_LENGTH,
    MemoryEstimate,
    available_memory,
    estimate_training_memory,
)

WARN_FRACTION = 0.5  # above this share of free memory the estimate is shown as a warning
WARN_COLOR = "#9a6700"
ERROR_COLOR = "#b00020"


class ModelCost(QLabel):
    """`show_cost(model, train)` after every edit; `estimate` and `too_large` for callers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.estimate: MemoryEstimate | None = None
        self.available: int | None = None
        self.too_large = False

    def show_cost(self, model: ModelConfig, train: TrainConfig,
                  max_len: int | None = None) -> None:
        length = max_len or train.max_len
        try:
            estimate = estimate_training_memory(model, train, length)
        except (TypeError, ValueError, OverflowError):  # half-typed settings: say nothing
            self.estimate, self.too_large = None, False
            self.clear()
            return
        free = available_memory(train.device or "cpu")
        self.estimate, self.available = estimate, free
        self.too_large = free is not None and estimate.total > free
        tokens = f"{length:,} tokens" if length else f"{ASSUMED_LENGTH} tokens, assumed"
        line = (f"Training needs <b>{size_text(estimate.total)}</b> for "
                f"{estimate.parameters:,} parameters (batches of {train.batch_size:,}, "
                f"documents up to {tokens})")
        if free is not None:
            line += f" · {size_text(free)} free"
        color = None
        if self.too_large:
            color = ERROR_COLOR
            line += "<br>Too large for this machine: lower the hidden or embedding size, " \
                    "the vocabulary, the batch size or the maximum length."
        elif free is not None and estimate.total > WARN_FRACTION * free:
            color = WARN_COLOR
        self.setText(f'<span style="color:{color}">{line}</span>' if color else line)
        self.setToolTip(html.escape(estimate.describe()))
