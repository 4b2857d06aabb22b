"""The model summary under the form: every weight's shape and parameter count, from the config.

It never imports torch: the shapes are the ones `torch.nn.LSTM` and friends allocate for these
settings (a test compares them with a real model), so the summary shows before torch loads.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from lstm_studio.core.config import ModelConfig

GATE_BLOCKS: dict[str, tuple[str, ...]] = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"),
                                           "rnn": ()}


@dataclasses.dataclass(frozen=True)
class WeightInfo:
    name: str
    shape: tuple[int, ...]
    blocks: tuple[tuple[str, int, int], ...] = ()  # (gate, first row, end row) of fused weights

    @property
    def count(self) -> int:
        total = 1
        for size in self.shape:
            total *= size
        return total


def weight_shapes(config: ModelConfig) -> list[WeightInfo]:
    """The model's parameters as `build_model(config).named_parameters()` would list them.

    PyTorch fuses the gates of one layer into one matrix: for an LSTM rows 0:H are the input
    gate i, H:2H the forget gate f, 2H:3H the candidate g and 3H:4H the output gate o (GRU:
    r, z, n). Tied weights are listed once, under the embedding.
    """
    gates = GATE_BLOCKS.get(config.cell, ())
    rows = max(1, len(gates)) * config.hidden_size
    directions = 2 if config.bidirectional else 1
    hidden = config.hidden_size
    blocks = tuple((gate, k * hidden, (k + 1) * hidden) for k, gate in enumerate(gates))
    vocab = max(1, config.vocab_size)
    out: list[WeightInfo] = [WeightInfo("embedding.weight", (vocab, config.embedding_dim))]
    for layer in range(config.num_layers):
        inputs = config.embedding_dim if layer == 0 else hidden * directions
        for suffix in ("", "_reverse")[:directions]:
            out.append(WeightInfo(f"rnn.weight_ih_l{layer}{suffix}", (rows, inputs), blocks))
            out.append(WeightInfo(f"rnn.weight_hh_l{layer}{suffix}", (rows, hidden), blocks))
            out.append(WeightInfo(f"rnn.bias_ih_l{layer}{suffix}", (rows,), blocks))
            out.append(WeightInfo(f"rnn.bias_hh_l{layer}{suffix}", (rows,), blocks))
    if config.task == "lm":
        if not config.tie_weights:
            out.append(WeightInfo("head.weight", (vocab, hidden)))
        out.append(WeightInfo("head.bias", (vocab,)))
    else:
        classes = max(1, config.num_classes)
        out.append(WeightInfo("head.weight", (classes, hidden * directions)))
        out.append(WeightInfo("head.bias", (classes,)))
    return out


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
