"""The lecture's worked example as a real one-input, one-unit `nn.LSTM`.

Each of the 16 weights/biases and x_t, h_{t-1}, c_{t-1} can be set by name (`W_if`, `b_hg`,
`x`, `h_prev`, `c_prev`, ...). The values are written into the module's fused parameters through
`fused.set_gate` and the cell is traced by the same `trace` that traces trained models, so the toy
cannot drift from what a real LSTM computes.

About the slide's numbers: with the lecture's weights, full precision gives c_t = 2.948; the slide
shows 2.946 because it multiplies the rounded 0.997·2 + 0.986·0.966. Its last line also prints
o_t ⊙ tanh(c_t) as a sum (0.992 + 0.994 = 1.986); the formula is a product, h_t = 0.986.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.derivation import Derivation, derivations
from lstm_studio.core.gates.fused import set_gate
from lstm_studio.core.gates.trace import Trace, trace

GATES = ("f", "i", "g", "o")
PARAMETER_NAMES: tuple[str, ...] = tuple(
    f"{kind}{gate}" for gate in GATES for kind in ("W_i", "b_i", "W_h", "b_h")
)
STATE_NAMES: tuple[str, ...] = ("x", "h_prev", "c_prev")

_LECTURE = {
    "x": 1.0, "h_prev": 1.0, "c_prev": 2.0,
    "W_if": 1.63, "b_if": 0.0, "W_hf": 2.7, "b_hf": 1.62,
    "W_ii": 1.65, "b_ii": 0.62, "W_hi": 2.0, "b_hi": 0.0,
    "W_ig": 0.94, "b_ig": -0.32, "W_hg": 1.41, "b_hg": 0.0,
    "W_io": -0.19, "b_io": 0.0, "W_ho": 4.38, "b_ho": 0.59,
}

TOY_PRESETS: dict[str, dict[str, float]] = {
    # The slides' example: f=0.997, i=0.986, g=0.966, o=0.992.
    "lecture": _LECTURE,
    # Forget gate and input gate shut (pre-activations -10 and -8): the memory is wiped, c_t ≈ 0.
    "forget": {**_LECTURE, "W_if": -4.0, "b_if": -2.0, "W_hf": -3.0, "b_hf": -1.0,
               "W_ii": -3.0, "b_ii": -2.0, "W_hi": -2.0, "b_hi": -1.0},
    # Forget gate open, input gate shut: c_t ≈ c_{t-1}, the memory passes through unchanged.
    "remember": {**_LECTURE, "W_if": 4.0, "b_if": 2.0, "W_hf": 3.0, "b_hf": 1.0,
                 "W_ii": -3.0, "b_ii": -2.0, "W_hi": -2.0, "b_hi": -1.0},
}
_PRESET_ALIASES = {"forget-everything": "forget", "remember-everything": "remember"}

NOTES: tuple[str, ...] = (
    "The slide rounds f, i and g before multiplying (0.997·2 + 0.986·0.966 = 2.946); "
    "in full precision c_t = 2.948.",
    "The slide's last line adds o_t and tanh(c_t) (0.992 + 0.994 = 1.986); "
    "h_t = o_t ⊙ tanh(c_t) is a product, 0.992·0.995 = 0.986.",
)


def _canonical(name: str) -> str:
    if name in PARAMETER_NAMES or name in STATE_NAMES:
        return name
    for known in PARAMETER_NAMES:
        if known.lower() == name.lower():
            return known
    raise UserError(f"The toy cell has no setting {name!r}; use x, h_prev, c_prev or one of "
                    f"{', '.join(PARAMETER_NAMES)}.")


@dataclass
class ToyCell:
    """A 1x1 nn.LSTM plus its input and previous state, ready to trace."""

    preset: str
    values: dict[str, float]
    module: nn.LSTM = field(repr=False)

    def with_values(self, **overrides: float) -> ToyCell:
        """A new toy cell with some settings changed (the GUI's sliders)."""
        return _build(self.preset, {**self.values, **_clean(overrides)})

    def trace(self) -> Trace:
        return trace(self.module, [[self.values["x"]]], tokens=["x_t"],
                     h0=[[self.values["h_prev"]]], c0=[[self.values["c_prev"]]])

    def derivations(self) -> list[Derivation]:
        return derivations(self.trace(), 0, "forward", 0, 0)

    def result(self) -> dict[str, float]:
        """{'f', 'i', 'g', 'o', 'c', 'h'} as the LSTM computed them."""
        d = self.trace().get(0, "forward")
        assert d.c is not None  # the toy cell is an LSTM
        out = {gate: float(d.gates[gate].value[0, 0]) for gate in GATES}
        out["c"] = float(d.c[0, 0])
        out["h"] = float(d.h[0, 0])
        return out

    def to_dict(self) -> dict[str, Any]:
        items = self.derivations()
        return {
            **self.result(),
            "preset": self.preset,
            "parameters": dict(self.values),
            "derivations": [{"stage": d.stage, "title": d.title, "text": d.text,
                             "result": d.result} for d in items],
            "notes": list(NOTES) if self.preset == "lecture" else [],
        }


def _clean(overrides: dict[str, Any]) -> dict[str, float]:
    return {_canonical(name): float(value) for name, value in overrides.items()}


def _build(preset: str, values: dict[str, float]) -> ToyCell:
    module = nn.LSTM(1, 1, batch_first=True)
    for gate in GATES:
        set_gate(module, 0, "forward", gate, w_ih=values[f"W_i{gate}"],
                 w_hh=values[f"W_h{gate}"], b_ih=values[f"b_i{gate}"],
                 b_hh=values[f"b_h{gate}"])
    module.requires_grad_(False)
    return ToyCell(preset=preset, values=dict(values), module=module)


def toy_cell(preset: str = "lecture", **overrides: float) -> ToyCell:
    """A toy cell from a preset ('lecture', 'forget', 'remember'), any setting overridable."""
    name = _PRESET_ALIASES.get(preset, preset)
    if name not in TOY_PRESETS:
        raise UserError(f"There is no toy preset {preset!r}; use {', '.join(TOY_PRESETS)}.")
    with torch.no_grad():
        return _build(name, {**TOY_PRESETS[name], **_clean(overrides)})
