"""`trace(model, sentence)`: every number inside the cell, for every layer, direction and step.

Arrays are numpy float64 indexed by token position t (for the backward direction the cell visits
positions T-1 … 0, and "h_{t-1}" is the state it arrived with, i.e. the one from position t+1).
The terms of each dot product are not stored: `DirectionTrace.top_terms` multiplies them out for
the one (step, gate, unit) being looked at, so a 300-token sentence with 128 units stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.fused import (
    DIRECTIONS,
    LECTURE_GATE_ORDER,
    CellParams,
    gate_rows,
)
from lstm_studio.core.gates.interventions import Intervention, check_interventions
from lstm_studio.core.gates.recurrence import Record, unroll
from lstm_studio.core.gates.source import prepare_inputs, resolve
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.wording import plural


def _activation(cell: str, gate: str, nonlinearity: str) -> str:
    if cell == "rnn":
        return nonlinearity
    return "tanh" if gate in ("g", "n") else "sigmoid"


def _array(values: np.ndarray, decimals: int | None) -> Any:
    return (np.round(values, decimals) if decimals is not None else values).tolist()


@dataclass
class GateTrace:
    """One gate over all positions: pre = input_term + input_bias + hidden_term + hidden_bias.

    For the GRU candidate n the hidden half is scaled by the reset gate, exactly as PyTorch does:
    pre = input_term + input_bias + reset ⊙ (hidden_term + hidden_bias).
    """

    name: str
    activation: str  # 'sigmoid', 'tanh' or 'relu'
    input_term: np.ndarray  # W_i·x_t [T, H]
    input_bias: np.ndarray  # b_i [H]
    hidden_term: np.ndarray  # W_h·h_{t-1} [T, H]
    hidden_bias: np.ndarray  # b_h [H]
    pre: np.ndarray  # [T, H]
    value: np.ndarray  # activation(pre) [T, H]
    reset: np.ndarray | None = None  # GRU n only: r_t [T, H]

    def to_dict(self, decimals: int | None = None) -> dict[str, Any]:
        data = {"name": self.name, "activation": self.activation}
        for key in ("input_term", "input_bias", "hidden_term", "hidden_bias", "pre", "value",
                    "reset"):
            values = getattr(self, key)
            if values is not None:
                data[key] = _array(values, decimals)
        return data


@dataclass
class DirectionTrace:
    """One layer and direction of the stack."""

    layer: int
    direction: str
    cell: str
    nonlinearity: str
    order: list[int]  # positions in the order the cell visited them
    x: np.ndarray  # inputs x_t [T, In]
    h_prev: np.ndarray  # h_{t-1} [T, H]
    c_prev: np.ndarray | None  # c_{t-1} [T, H] (LSTM)
    gates: dict[str, GateTrace]  # lecture order: f, i, g, o / r, z, n / h
    c: np.ndarray | None  # c_t [T, H] (LSTM)
    h: np.ndarray  # h_t [T, H]
    w_ih: np.ndarray = field(repr=False)  # fused weights, PyTorch gate order
    w_hh: np.ndarray = field(repr=False)
    # What-if edits: series name ('f', 'c', 'h'...) -> bool [T, H], True where the value shown
    # replaced the computed one (see gates/interventions.py). Empty without edits.
    edited: dict[str, np.ndarray] = field(default_factory=dict)

    def is_edited(self, series: str, step: int, unit: int) -> bool:
        mask = self.edited.get(series)
        return mask is not None and bool(mask[step, unit])

    @property
    def steps(self) -> int:
        return self.h.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.h.shape[1]

    def top_terms(self, step: int, gate: str, unit: int, k: int = 5) -> dict[str, list[dict]]:
        """The k largest (by magnitude) products w·x inside W_i·x_t and W_h·h_{t-1} of one unit."""
        self.check_position(step, unit)
        if gate not in self.gates:
            raise UserError(f"This {self.cell.upper()} has no gate {gate!r}.")
        row = gate_rows(self.cell, gate, self.hidden_size).start + unit
        return {
            "input": _top(self.w_ih[row], self.x[step], k),
            "hidden": _top(self.w_hh[row], self.h_prev[step], k),
        }

    def check_position(self, step: int, unit: int) -> None:
        """UserError unless `step` is a token position and `unit` a unit of this layer."""
        if not 0 <= step < self.steps:
            raise UserError(f"Step {step} does not exist; the sentence has "
                            f"{plural(self.steps, 'token')} "
                            f"(steps 0 to {self.steps - 1}).")
        if not 0 <= unit < self.hidden_size:
            raise UserError(f"Unit {unit} does not exist; the layer has "
                            f"{plural(self.hidden_size, 'unit')} "
                            f"(0 to {self.hidden_size - 1}).")

    def to_dict(self, decimals: int | None = None, include_inputs: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "layer": self.layer, "direction": self.direction, "order": self.order,
            "h_prev": _array(self.h_prev, decimals),
            "gates": {name: g.to_dict(decimals) for name, g in self.gates.items()},
            "h": _array(self.h, decimals),
        }
        if include_inputs:
            data["x"] = _array(self.x, decimals)
        if self.c is not None and self.c_prev is not None:
            data["c_prev"] = _array(self.c_prev, decimals)
            data["c"] = _array(self.c, decimals)
        return data


def _top(weights: np.ndarray, values: np.ndarray, k: int) -> list[dict[str, float]]:
    products = weights * values
    k = min(k, products.shape[0])
    best = np.argpartition(-np.abs(products), k - 1)[:k]
    best = best[np.argsort(-np.abs(products[best]), kind="stable")]
    return [{"index": int(j), "weight": float(weights[j]), "value": float(values[j]),
             "product": float(products[j])} for j in best]


@dataclass
class Trace:
    """The whole stack for one sequence, plus the tokens as the model saw them."""

    cell: str
    nonlinearity: str
    num_layers: int
    bidirectional: bool
    input_size: int
    hidden_size: int
    tokens: list[str]
    ids: list[int] | None
    oov: list[bool]
    cleaned: str | None
    layers: dict[tuple[int, str], DirectionTrace]
    output: np.ndarray  # last layer h_t, directions concatenated [T, D*H] (= nn.LSTM output)
    h_n: np.ndarray  # [L*D, H]
    c_n: np.ndarray | None
    interventions: list[Intervention] = field(default_factory=list)  # what-if edits applied

    @property
    def steps(self) -> int:
        return len(self.tokens)

    @property
    def directions(self) -> tuple[str, ...]:
        return DIRECTIONS if self.bidirectional else DIRECTIONS[:1]

    def get(self, layer: int = 0, direction: str = "forward") -> DirectionTrace:
        if not 0 <= layer < self.num_layers:
            raise UserError(f"Layer {layer} does not exist; the model has "
                            f"{plural(self.num_layers, 'layer')} (0 to {self.num_layers - 1}).")
        if direction not in self.directions:
            raise UserError(f"Direction {direction!r} does not exist; use "
                            f"{' or '.join(self.directions)}.")
        return self.layers[(layer, direction)]

    def to_dict(self, decimals: int | None = None, include_inputs: bool = True) -> dict[str, Any]:
        """JSON-safe: plain lists and numbers only."""
        return {
            "cell": self.cell, "nonlinearity": self.nonlinearity, "num_layers": self.num_layers,
            "bidirectional": self.bidirectional, "input_size": self.input_size,
            "hidden_size": self.hidden_size, "tokens": self.tokens, "ids": self.ids,
            "oov": self.oov, "cleaned": self.cleaned,
            "gate_order": list(LECTURE_GATE_ORDER[self.cell]),
            "layers": [d.to_dict(decimals, include_inputs) for d in self.layers.values()],
            "output": _array(self.output, decimals),
            "h_n": _array(self.h_n, decimals),
            "c_n": _array(self.c_n, decimals) if self.c_n is not None else None,
        }


def _direction_trace(layer: int, direction: str, params: CellParams, rec: Record,
                     edited: dict[str, torch.Tensor] | None = None) -> DirectionTrace:
    cell, hidden = params.cell, params.hidden_size

    def block(array: torch.Tensor, gate: str) -> np.ndarray:
        return array[0, :, gate_rows(cell, gate, hidden)].numpy().copy()

    gates = {}
    for name in LECTURE_GATE_ORDER[cell]:
        rows = gate_rows(cell, name, hidden)
        gates[name] = GateTrace(
            name=name, activation=_activation(cell, name, params.nonlinearity),
            input_term=block(rec.input_term, name), input_bias=params.b_ih[rows].numpy().copy(),
            hidden_term=block(rec.hidden_term, name), hidden_bias=params.b_hh[rows].numpy().copy(),
            pre=block(rec.pre, name), value=block(rec.act, name),
        )
    if cell == "gru":
        gates["n"].reset = gates["r"].value
    steps = rec.h.shape[1]
    order = list(range(steps - 1, -1, -1)) if direction == "backward" else list(range(steps))
    return DirectionTrace(
        layer=layer, direction=direction, cell=cell, nonlinearity=params.nonlinearity,
        order=order, x=rec.x[0].numpy().copy(), h_prev=rec.h_prev[0].numpy(),
        c_prev=rec.c_prev[0].numpy() if rec.c_prev is not None else None, gates=gates,
        c=rec.c[0].numpy() if rec.c is not None else None, h=rec.h[0].numpy(),
        w_ih=params.w_ih.numpy(), w_hh=params.w_hh.numpy(),
        edited={name: mask.numpy() for name, mask in (edited or {}).items()},
    )


def _initial(state: Any, layers: int) -> torch.Tensor | None:
    if state is None:
        return None
    tensor = torch.as_tensor(np.asarray(state, dtype=np.float64))
    return tensor.reshape(layers, 1, -1)


def trace(model_or_bundle: Any, text_or_ids: Any, *, embedding: torch.nn.Module | None = None,
          tokens: list[str] | None = None, h0: Any = None, c0: Any = None,
          interventions: list[Intervention] | None = None,
          progress: Progress | None = None) -> Trace:
    """Trace one sequence through a ModelBundle, RecurrentModel or bare nn.LSTM/GRU/RNN.

    `text_or_ids`: a sentence (bundle only; cleaned and encoded as for prediction), token ids
    (needs an embedding) or input vectors [T, In]. `h0`/`c0`: initial states [L*D, H].
    `interventions`: what-if edits applied inside the recurrence (gates/interventions.py).
    """
    source = resolve(model_or_bundle, embedding=embedding)
    inputs = prepare_inputs(source, text_or_ids, tokens)
    rnn = source.rnn
    edits = list(interventions or [])
    check_interventions(edits, source.cell, rnn.num_layers, rnn.bidirectional, rnn.hidden_size,
                        inputs.x.shape[0])
    params = source.params(torch.float64)
    layers = rnn.num_layers * len(source.directions)
    report(progress, 0, 1, "tracing")
    with torch.no_grad():
        result = unroll(params, rnn.num_layers, rnn.bidirectional, inputs.x.unsqueeze(0),
                        h0=_initial(h0, layers), c0=_initial(c0, layers), record=True,
                        interventions=edits)
    directions = {key: _direction_trace(key[0], key[1], params[key], rec,
                                        result.edit_masks.get(key))
                  for key, rec in result.records.items()}
    report(progress, 1, 1, "tracing")
    return Trace(
        cell=source.cell, nonlinearity=params[(0, "forward")].nonlinearity,
        num_layers=rnn.num_layers, bidirectional=rnn.bidirectional, input_size=rnn.input_size,
        hidden_size=rnn.hidden_size, tokens=inputs.tokens, ids=inputs.ids, oov=inputs.oov,
        cleaned=inputs.cleaned, layers=directions, output=result.output[0].numpy(),
        h_n=result.h_n[:, 0].numpy(),
        c_n=result.c_n[:, 0].numpy() if result.c_n is not None else None,
        interventions=edits,
    )
