"""The model summary under the form: every weight's shape and parameter count, from the config.

It never imports torch: the shapes come from core/model_size.py, the ones `torch.nn.LSTM` and
friends allocate for these settings (a test compares them with a real model), so the summary
shows before torch loads.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from lstm_studio.core.config import ModelConfig
from lstm_studio.core.model_size import weight_shapes


class ModelSummary(QWidget):
    """A total line and a tree: one row per weight, fused gate blocks as its children."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.total = QLabel()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Weight", "Shape", "Parameters"])
        self.tree.setMinimumHeight(160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.total)
        layout.addWidget(self.tree, 1)

    def show_config(self, model: ModelConfig) -> None:
        weights = weight_shapes(model)
        total = sum(w.count for w in weights)
        vocab_note = (f"vocabulary {model.vocab_size:,}" if model.vocab_size
                      else "vocabulary not built yet (1 row shown)")
        self.total.setText(f"<b>{total:,}</b> parameters ({vocab_note})")
        self.tree.clear()
        for weight in weights:
            item = QTreeWidgetItem([weight.name, " × ".join(map(str, weight.shape)),
                                    f"{weight.count:,}"])
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            for gate, start, end in weight.blocks:
                columns = f" × {weight.shape[1]}" if len(weight.shape) > 1 else ""
                item.addChild(QTreeWidgetItem([f"{gate}  (rows {start}:{end})",
                                               f"{end - start}{columns}", ""]))
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)
