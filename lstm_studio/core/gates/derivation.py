"""Lecture-style derivations: the formula, the numbers put into it, and the result.

The six LSTM stages follow the lecture's slides in order (forget gate, input gate, candidate
memory, output gate, current cell state, current hidden state); GRU and plain RNN cells get the
analogous stages. Every number comes from a `Trace`, so a derivation is a readout of what the
model computed, never a second calculation that could disagree with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.trace import DirectionTrace, Trace

STAGES: dict[str, tuple[str, ...]] = {
    "lstm": ("forget", "input", "candidate", "output", "cell", "hidden"),
    "gru": ("reset", "update", "candidate", "hidden"),
    "rnn": ("hidden",),
}

STAGE_GATES: dict[str, dict[str, str]] = {
    "lstm": {"forget": "f", "input": "i", "candidate": "g", "output": "o"},
    "gru": {"reset": "r", "update": "z", "candidate": "n"},
    "rnn": {"hidden": "h"},
}

STAGE_TITLES: dict[str, dict[str, str]] = {
    "lstm": {"forget": "Forget gate", "input": "Input gate", "candidate": "Candidate memory",
             "output": "Output gate", "cell": "Current cell state",
             "hidden": "Current hidden state"},
    "gru": {"reset": "Reset gate", "update": "Update gate", "candidate": "Candidate state",
            "hidden": "Current hidden state"},
    "rnn": {"hidden": "Current hidden state"},
}

_ALIASES = {
    "f": "forget", "forget gate": "forget", "i": "input", "input gate": "input",
    "g": "candidate", "n": "candidate", "candidate memory": "candidate",
    "candidate state": "candidate", "o": "output", "output gate": "output", "c": "cell",
    "cell state": "cell", "current cell state": "cell", "h": "hidden", "hidden state": "hidden",
    "current hidden state": "hidden", "r": "reset", "reset gate": "reset", "z": "update",
    "update gate": "update",
}

_ACT_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu"}


def num(value: float) -> str:
    """Three decimals, as on the slides."""
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def _term(value: float, first: bool) -> str:
    text = num(value)
    return f"({text})" if text.startswith("-") and not first else text


def factor(value: float) -> str:
    """A number inside a product: negative ones in parentheses, as the slides write them."""
    text = num(value)
    return f"({text})" if text.startswith("-") else text


def _joined(values: list[float]) -> str:
    return " + ".join(_term(v, i == 0) for i, v in enumerate(values))


@dataclass
class Derivation:
    """One stage for one unit at one step, as data and as lecture-style text."""

    stage: str
    title: str
    formula: str  # e.g. "f_t = σ(W_if·x_t + b_if + W_hf·h_{t-1} + b_hf)"
    substituted: str  # e.g. "1.630 + 0.000 + 2.700 + 1.620 = 5.950"
    result: float
    text: str
    terms: list[dict[str, Any]]  # [{"symbol": "W_if·x_t", "value": 1.63}, ...]
    sum: float | None = None  # pre-activation, for gates
    activation: str | None = None  # 'sigmoid' | 'tanh' | 'relu'
    top_terms: dict[str, list[dict]] | None = None
    location: dict[str, Any] = field(default_factory=dict)  # layer, direction, step, unit, token

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalise_stage(cell: str, stage: str) -> str:
    key = _ALIASES.get(stage.strip().lower(), stage.strip().lower())
    if key not in STAGES[cell]:
        raise UserError(f"A {cell.upper()} has no stage {stage!r}; use one of "
                        f"{', '.join(STAGES[cell])}.")
    return key


def _gate_symbols(cell: str, gate: str) -> tuple[str, str, str, str, str]:
    """(W_i·x, b_i, W_h·h, b_h, output) symbols, e.g. ('W_if·x_t', 'b_if', ...,'f_t')."""
    suffix = "h" if cell == "rnn" else gate
    return (f"W_i{suffix}·x_t", f"b_i{suffix}", f"W_h{suffix}·h_{{t-1}}", f"b_h{suffix}",
            f"{gate}_t")


def _gate_stage(d: DirectionTrace, gate: str, step: int, unit: int, k: int) -> dict[str, Any]:
    g = d.gates[gate]
    wx, bi = float(g.input_term[step, unit]), float(g.input_bias[unit])
    wh, bh = float(g.hidden_term[step, unit]), float(g.hidden_bias[unit])
    pre, value = float(g.pre[step, unit]), float(g.value[step, unit])
    s_wx, s_bi, s_wh, s_bh, out = _gate_symbols(d.cell, gate)
    terms = [{"symbol": s_wx, "value": wx}, {"symbol": s_bi, "value": bi},
             {"symbol": s_wh, "value": wh}, {"symbol": s_bh, "value": bh}]
    if g.reset is not None:  # GRU candidate: r_t scales the whole hidden half
        r = float(g.reset[step, unit])
        terms.append({"symbol": "r_t", "value": r})
        lhs = f"{s_wx} + {s_bi} + r_t ⊙ ({s_wh} + {s_bh})"
        numbers = f"{_term(wx, True)} + {_term(bi, False)} + {num(r)}·({_term(wh, True)} + " \
                  f"{_term(bh, False)})"
    else:
        lhs = f"{s_wx} + {s_bi} + {s_wh} + {s_bh}"
        numbers = _joined([wx, bi, wh, bh])
    symbol = _ACT_SYMBOL[g.activation]
    substituted = f"{numbers} = {num(pre)}"
    lines = [f"{lhs} = {substituted}", f"{symbol}({num(pre)}) = {num(value)}"]
    if d.is_edited(gate, step, unit):  # a forced gate: show what it computed, then the edit
        computed = 1.0 / (1.0 + np.exp(-pre))
        lines[-1] = f"{symbol}({num(pre)}) = {num(computed)}"
        lines.append(_edit_line(f"{gate}_t forced to", value))
    elif d.cell == "rnn" and d.is_edited("h", step, unit):
        value = float(d.h[step, unit])
        lines.append(_edit_line("h_t clamped to", value))
    return {"formula": f"{out} = {symbol}({lhs})", "substituted": substituted, "result": value,
            "terms": terms, "sum": pre, "activation": g.activation, "lines": lines,
            "top_terms": d.top_terms(step, gate, unit, k)}


def _edit_line(what: str, value: float) -> str:
    return f"what-if edit: {what} {num(value)}"


def _lstm_cell(d: DirectionTrace, step: int, unit: int) -> dict[str, Any]:
    assert d.c is not None and d.c_prev is not None  # an LSTM direction carries its cell state
    f, i = d.gates["f"].value[step, unit], d.gates["i"].value[step, unit]
    g, c_prev = d.gates["g"].value[step, unit], d.c_prev[step, unit]
    c = float(d.c[step, unit])
    keep, write = float(f * c_prev), float(i * g)
    edited = d.is_edited("c", step, unit)
    lhs = "f_t ⊙ c_{t-1} + i_t ⊙ g_t"
    substituted = (f"{num(f)}·{factor(c_prev)} + {num(i)}·{factor(g)} = "
                   f"{_term(keep, True)} + {_term(write, False)} = "
                   f"{num(keep + write if edited else c)}")
    terms = [{"symbol": "f_t", "value": float(f)}, {"symbol": "c_{t-1}", "value": float(c_prev)},
             {"symbol": "i_t", "value": float(i)}, {"symbol": "g_t", "value": float(g)},
             {"symbol": "f_t ⊙ c_{t-1}", "value": keep}, {"symbol": "i_t ⊙ g_t", "value": write}]
    lines = [f"{lhs} = {substituted}"]
    if edited:
        lines.append(_edit_line("c_t clamped to", c))
    return {"formula": f"c_t = {lhs}", "substituted": substituted, "result": c, "terms": terms,
            "lines": lines}


def _lstm_hidden(d: DirectionTrace, step: int, unit: int) -> dict[str, Any]:
    assert d.c is not None  # an LSTM direction carries its cell state
    o, c = float(d.gates["o"].value[step, unit]), float(d.c[step, unit])
    squashed, h = float(np.tanh(c)), float(d.h[step, unit])
    edited = d.is_edited("h", step, unit)
    lhs = "o_t ⊙ tanh(c_t)"
    substituted = (f"{num(o)}·tanh({num(c)}) = {num(o)}·{factor(squashed)} = "
                   f"{num(o * squashed if edited else h)}")
    terms = [{"symbol": "o_t", "value": o}, {"symbol": "c_t", "value": c},
             {"symbol": "tanh(c_t)", "value": squashed}]
    lines = [f"tanh({num(c)}) = {num(squashed)}", f"{lhs} = {substituted}"]
    if edited:
        lines.append(_edit_line("h_t clamped to", h))
    return {"formula": f"h_t = {lhs}", "substituted": substituted, "result": h, "terms": terms,
            "lines": lines}


def _gru_hidden(d: DirectionTrace, step: int, unit: int) -> dict[str, Any]:
    z, n = float(d.gates["z"].value[step, unit]), float(d.gates["n"].value[step, unit])
    h_prev, h = float(d.h_prev[step, unit]), float(d.h[step, unit])
    new, keep = (1 - z) * n, z * h_prev
    edited = d.is_edited("h", step, unit)
    lhs = "(1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}"
    substituted = (f"(1 - {num(z)})·{factor(n)} + {num(z)}·{factor(h_prev)} = "
                   f"{_term(new, True)} + {_term(keep, False)} = "
                   f"{num(new + keep if edited else h)}")
    terms = [{"symbol": "z_t", "value": z}, {"symbol": "n_t", "value": n},
             {"symbol": "h_{t-1}", "value": h_prev}, {"symbol": "(1 - z_t) ⊙ n_t", "value": new},
             {"symbol": "z_t ⊙ h_{t-1}", "value": keep}]
    lines = [f"{lhs} = {substituted}"]
    if edited:
        lines.append(_edit_line("h_t clamped to", h))
    return {"formula": f"h_t = {lhs}", "substituted": substituted, "result": h, "terms": terms,
            "lines": lines}


def derivation(trace: Trace, layer: int = 0, direction: str = "forward", step: int = 0,
               unit: int = 0, stage: str = "forget", top_k: int = 5) -> Derivation:
    """The lecture-style derivation of one stage for one unit at one token position."""
    d = trace.get(layer, direction)
    d.check_position(step, unit)
    stage = normalise_stage(trace.cell, stage)
    gate = STAGE_GATES[trace.cell].get(stage)
    if gate is not None:
        parts = _gate_stage(d, gate, step, unit, top_k)
    elif stage == "cell":
        parts = _lstm_cell(d, step, unit)
    elif trace.cell == "lstm":
        parts = _lstm_hidden(d, step, unit)
    else:
        parts = _gru_hidden(d, step, unit)
    title = STAGE_TITLES[trace.cell][stage]
    where = {"layer": layer, "direction": direction, "step": step, "unit": unit,
             "token": trace.tokens[step]}
    header = (f"{title} (layer {layer} {direction}, step {step} {trace.tokens[step]!r}, "
              f"unit {unit}): {parts['formula']}")
    if direction == "backward":
        header += "  [backward: h_{t-1} and c_{t-1} come from position t+1]"
    return Derivation(
        stage=stage, title=title, formula=parts["formula"], substituted=parts["substituted"],
        result=parts["result"], text="\n".join([header, *parts["lines"]]), terms=parts["terms"],
        sum=parts.get("sum"), activation=parts.get("activation"),
        top_terms=parts.get("top_terms"), location=where,
    )


def derivations(trace: Trace, layer: int = 0, direction: str = "forward", step: int = 0,
                unit: int = 0, top_k: int = 5) -> list[Derivation]:
    """All stages of the cell, in the lecture's order."""
    return [derivation(trace, layer, direction, step, unit, stage, top_k)
            for stage in STAGES[trace.cell]]
