"""PyTorch's fused gate layout, written down once and explicitly.

`nn.LSTM` keeps the four gates of a layer in one matrix: `weight_ih_l{k}{_reverse}` has 4·H rows
in the order **i, f, g, o** (input, forget, candidate, output) — not the lecture's f, i, g, o.
`nn.GRU` stacks **r, z, n** (reset, update, new/candidate), `nn.RNN` has a single block. Every
other gates module reads weights through `cell_params` and `gate_rows`, so a wrong mapping can
only live here, and tests/core/test_gates_mapping.py pins it down.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from lstm_studio.core.errors import UserError

# Row-block order inside PyTorch's fused weight matrices and bias vectors.
PYTORCH_GATE_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
    "rnn": ("h",),
}

# The order the lecture (and every display) walks the gates in.
LECTURE_GATE_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("f", "i", "g", "o"),
    "gru": ("r", "z", "n"),
    "rnn": ("h",),
}

GATE_TITLES: dict[str, str] = {
    "f": "forget gate",
    "i": "input gate",
    "g": "candidate memory",
    "o": "output gate",
    "r": "reset gate",
    "z": "update gate",
    "n": "candidate state",
    "h": "hidden state",
}

DIRECTIONS: tuple[str, ...] = ("forward", "backward")


def cell_kind(rnn: nn.Module) -> str:
    """'lstm', 'gru' or 'rnn' for a PyTorch recurrent module."""
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn"
    raise UserError(f"Gate tracing needs an nn.LSTM, nn.GRU or nn.RNN, not {type(rnn).__name__}.")


def gate_rows(cell: str, gate: str, hidden_size: int) -> slice:
    """The rows of a fused weight/bias that belong to `gate` (e.g. LSTM 'f' -> rows H..2H)."""
    order = PYTORCH_GATE_ORDER[cell]
    if gate not in order:
        raise UserError(f"A {cell.upper()} cell has no gate {gate!r}; it has {', '.join(order)}.")
    index = order.index(gate)
    return slice(index * hidden_size, (index + 1) * hidden_size)


@dataclass
class CellParams:
    """One layer and direction's weights, split out of the fused module (biases zero if absent)."""

    cell: str
    nonlinearity: str  # 'tanh' or 'relu' for plain RNNs; 'tanh' otherwise
    w_ih: torch.Tensor  # [G*H, In]
    w_hh: torch.Tensor  # [G*H, H]
    b_ih: torch.Tensor  # [G*H]
    b_hh: torch.Tensor  # [G*H]

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]

    def gate(self, name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(W_i, W_h, b_i, b_h) of one gate, e.g. `gate('f')` -> W_if, W_hf, b_if, b_hf."""
        rows = gate_rows(self.cell, name, self.hidden_size)
        return self.w_ih[rows], self.w_hh[rows], self.b_ih[rows], self.b_hh[rows]

    def to(self, dtype: torch.dtype) -> CellParams:
        return CellParams(self.cell, self.nonlinearity, self.w_ih.to(dtype), self.w_hh.to(dtype),
                          self.b_ih.to(dtype), self.b_hh.to(dtype))


def cell_params(rnn: nn.Module, layer: int, direction: str = "forward") -> CellParams:
    """Detached copies of the weights of one layer/direction of `rnn`."""
    cell = cell_kind(rnn)
    if getattr(rnn, "proj_size", 0):
        raise UserError("Gate tracing does not support LSTMs with projections (proj_size > 0).")
    if not 0 <= layer < rnn.num_layers:
        raise UserError(f"Layer {layer} does not exist; the model has {rnn.num_layers} layer(s).")
    if direction not in DIRECTIONS or (direction == "backward" and not rnn.bidirectional):
        allowed = "forward or backward" if rnn.bidirectional else "forward"
        raise UserError(f"Direction {direction!r} does not exist; this model has {allowed}.")
    suffix = f"l{layer}" + ("_reverse" if direction == "backward" else "")
    w_ih = getattr(rnn, f"weight_ih_{suffix}").detach().cpu()
    w_hh = getattr(rnn, f"weight_hh_{suffix}").detach().cpu()
    if rnn.bias:
        b_ih = getattr(rnn, f"bias_ih_{suffix}").detach().cpu()
        b_hh = getattr(rnn, f"bias_hh_{suffix}").detach().cpu()
    else:
        b_ih = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype)
        b_hh = torch.zeros(w_hh.shape[0], dtype=w_hh.dtype)
    nonlinearity = getattr(rnn, "nonlinearity", "tanh") if cell == "rnn" else "tanh"
    return CellParams(cell, nonlinearity, w_ih, w_hh, b_ih, b_hh)


def set_gate(rnn: nn.Module, layer: int, direction: str, gate: str, *,
             w_ih: torch.Tensor | float | None = None, w_hh: torch.Tensor | float | None = None,
             b_ih: torch.Tensor | float | None = None,
             b_hh: torch.Tensor | float | None = None) -> None:
    """Write one gate's block into the fused parameters in place (used by the toy cell)."""
    cell = cell_kind(rnn)
    rows = gate_rows(cell, gate, rnn.hidden_size)
    suffix = f"l{layer}" + ("_reverse" if direction == "backward" else "")
    with torch.no_grad():
        for prefix, value in (("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih),
                              ("bias_hh", b_hh)):
            if value is None:
                continue
            param = getattr(rnn, f"{prefix}_{suffix}")
            param[rows] = torch.as_tensor(value, dtype=param.dtype)
