"""The recurrence, unrolled one timestep at a time with every intermediate kept.

PyTorch's fused kernels hide the gates; this module recomputes them with the module's own weights
(see fused.py) using exactly PyTorch's equations, so a trace can show every term and a gradient
can be taken with respect to each h_t. Tracing and gradient flow both run through `unroll`, so
what the user inspects and what is differentiated is the same computation. What-if edits
(interventions.py: clamp a unit of h or c, force a gate) are applied inside `_step`, so every
consumer of the recurrence sees the edited cell; a step without edits runs exactly as before.
Exactness against nn.LSTM / nn.GRU / nn.RNN is a property test (tests/core/test_gates_exact.py).

Equations (PyTorch's documentation, gate blocks in PyTorch's fused order):
  LSTM  i,f,o = σ(W_i·x + b_i + W_h·h + b_h), g = tanh(...), c' = f⊙c + i⊙g, h' = o⊙tanh(c')
  GRU   r,z = σ(W_i·x + b_i + W_h·h + b_h), n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)),
        h' = (1 − z)⊙n + z⊙h
  RNN   h' = tanh|relu(W_ih·x + b_ih + W_hh·h + b_hh)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import torch

from lstm_studio.core.gates.fused import DIRECTIONS, CellParams, gate_rows
from lstm_studio.core.gates.interventions import DirectionEdits, Intervention, compile_edits


@dataclass
class Record:
    """Everything one layer/direction computed, indexed by token position: arrays are [B, T, ...].

    Fused arrays ([..., G*H]) keep PyTorch's gate order; split them with `fused.gate_rows`.
    """

    x: torch.Tensor  # layer input x_t [B, T, In]
    h_prev: torch.Tensor  # state the step started from [B, T, H]
    c_prev: torch.Tensor | None  # LSTM only
    input_term: torch.Tensor  # W_ih·x_t without bias [B, T, G*H]
    hidden_term: torch.Tensor  # W_hh·h_{t-1} without bias [B, T, G*H]
    pre: torch.Tensor  # pre-activation [B, T, G*H] (GRU n: W_in·x + b_in + r⊙(W_hn·h + b_hn))
    act: torch.Tensor  # activation [B, T, G*H]
    c: torch.Tensor | None  # LSTM cell state [B, T, H]
    h: torch.Tensor  # hidden state [B, T, H]


@dataclass
class Unrolled:
    output: torch.Tensor  # last layer, directions concatenated [B, T, D*H]; zero past each length
    h_n: torch.Tensor  # [L*D, B, H]
    c_n: torch.Tensor | None
    records: dict[tuple[int, str], Record] = field(default_factory=dict)
    # Last layer's h_t tensors in position order per direction (graph nodes, for gradients).
    last_states: dict[str, list[torch.Tensor]] = field(default_factory=dict)
    # Where what-if edits replaced a computed value: {(layer, direction): {series: [T, H]}}.
    edit_masks: dict[tuple[int, str], dict[str, torch.Tensor]] = field(default_factory=dict)


@dataclass
class Observer:
    """Sees one layer/direction's step results as they are made, instead of recording all.

    `fn(t, act, h, c)` gets the activations [B, G*H] and the states [B, H] of position t
    (states held past a sequence's length, as everywhere); `unroll` stops after that layer
    and skips its other direction, so a scan over a corpus keeps only what it needs.
    """

    layer: int
    direction: str
    fn: Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor | None], None]


def _step(params: CellParams, gi: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None,
          edits: DirectionEdits | None = None, t: int = 0):
    """One cell step from the precomputed input term `gi` (W_ih·x, no bias).

    With `edits`, step t's forced gates replace their activations before use, a clamped c_t
    replaces the new cell state before h_t is computed from it, and a clamped h_t comes last.
    """
    hidden = params.hidden_size
    apply = DirectionEdits.apply
    act_edit = edits.act if edits is not None else None
    c_edit = edits.c if edits is not None else None
    h_edit = edits.h if edits is not None else None
    gh = h @ params.w_hh.T
    a_in = gi + params.b_ih
    a_h = gh + params.b_hh
    if params.cell == "lstm":
        pre = a_in + a_h
        act = torch.cat([
            torch.sigmoid(pre[:, : 2 * hidden]),  # i, f
            torch.tanh(pre[:, 2 * hidden: 3 * hidden]),  # g
            torch.sigmoid(pre[:, 3 * hidden:]),  # o
        ], dim=1)
        act = apply(act_edit, t, act)
        i, f = act[:, :hidden], act[:, hidden: 2 * hidden]
        g, o = act[:, 2 * hidden: 3 * hidden], act[:, 3 * hidden:]
        assert c is not None  # an LSTM always carries a cell state
        c_new = apply(c_edit, t, f * c + i * g)
        h_new = apply(h_edit, t, o * torch.tanh(c_new))
        return gh, pre, act, h_new, c_new
    if params.cell == "gru":
        rz = torch.sigmoid(a_in[:, : 2 * hidden] + a_h[:, : 2 * hidden])
        if act_edit is not None:
            rz = apply((act_edit[0][:, : 2 * hidden], act_edit[1][:, : 2 * hidden]), t, rz)
        r, z = rz[:, :hidden], rz[:, hidden:]
        pre_n = a_in[:, 2 * hidden:] + r * a_h[:, 2 * hidden:]
        n = torch.tanh(pre_n)
        pre = torch.cat([a_in[:, : 2 * hidden] + a_h[:, : 2 * hidden], pre_n], dim=1)
        act = torch.cat([rz, n], dim=1)
        h_new = apply(h_edit, t, (1 - z) * n + z * h)
        return gh, pre, act, h_new, None
    pre = a_in + a_h
    act = torch.relu(pre) if params.nonlinearity == "relu" else torch.tanh(pre)
    return gh, pre, act, apply(h_edit, t, act), None


def run_direction(params: CellParams, x: torch.Tensor, lengths: torch.Tensor, h0: torch.Tensor,
                  c0: torch.Tensor | None, reverse: bool, record: bool,
                  edits: DirectionEdits | None = None,
                  observe: Callable[..., None] | None = None
                  ) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor | None, Record | None]:
    """Unroll one layer/direction over x [B, T, In]; positions past a length keep their state.

    Returns (h_list in position order, h_last, c_last, Record | None).
    """
    batch, steps, _ = x.shape
    hidden = params.hidden_size
    fused = params.w_ih.shape[0]
    input_terms = x @ params.w_ih.T  # all timesteps at once
    h, c = h0, c0
    h_list: list[torch.Tensor | None] = [None] * steps
    rec = None
    if record:
        def empty(width: int) -> torch.Tensor:
            return torch.zeros(batch, steps, width, dtype=x.dtype)

        is_lstm = params.cell == "lstm"
        rec = Record(x=x, h_prev=empty(hidden), c_prev=empty(hidden) if is_lstm else None,
                     input_term=input_terms, hidden_term=empty(fused), pre=empty(fused),
                     act=empty(fused), c=empty(hidden) if is_lstm else None, h=empty(hidden))
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        step_edits = edits if edits is not None and edits.active[t] else None
        gh, pre, act, h_new, c_new = _step(params, input_terms[:, t], h, c, step_edits, t)
        live = (t < lengths).unsqueeze(1)
        if rec is not None:
            rec.h_prev[:, t] = h
            rec.hidden_term[:, t] = gh
            rec.pre[:, t] = pre
            rec.act[:, t] = act
            if rec.c_prev is not None and c is not None:  # both or neither (LSTM or not)
                rec.c_prev[:, t] = c
        if bool(live.all()):
            h = h_new
            c = c_new
        else:
            h = torch.where(live, h_new, h)
            c = torch.where(live, c_new, c) if c is not None and c_new is not None else None
        h_list[t] = h
        if observe is not None:
            observe(t, act, h, c)
        if rec is not None:
            rec.h[:, t] = h
            if rec.c is not None and c is not None:
                rec.c[:, t] = c
    # The loop visited every position, so no None is left in h_list.
    return cast(list[torch.Tensor], h_list), h, c, rec


def unroll(params: dict[tuple[int, str], CellParams], num_layers: int, bidirectional: bool,
           x: torch.Tensor, lengths: torch.Tensor | None = None, h0: torch.Tensor | None = None,
           c0: torch.Tensor | None = None, record: bool = False,
           interventions: list[Intervention] | None = None,
           observer: Observer | None = None) -> Unrolled:
    """Run a whole (multi-layer, maybe bidirectional) recurrent stack like nn.LSTM/GRU/RNN would.

    `x` is [B, T, In]; `h0`/`c0` are [L*D, B, H] as in PyTorch (zeros when None).
    `interventions` (checked by the caller, see interventions.check_interventions) edit the
    cell at token positions, identically for every sequence of the batch. With an `observer`
    the unroll ends at its layer (the result's output and final states are then partial).
    """
    batch, steps, _ = x.shape
    directions = DIRECTIONS if bidirectional else DIRECTIONS[:1]
    any_params = params[(0, "forward")]
    hidden = any_params.hidden_size
    is_lstm = any_params.cell == "lstm"
    if lengths is None:
        lengths = torch.full((batch,), steps, dtype=torch.long)
    zeros = torch.zeros(num_layers * len(directions), batch, hidden, dtype=x.dtype)
    h0 = zeros if h0 is None else h0.to(x.dtype)
    c0 = (zeros if c0 is None else c0.to(x.dtype)) if is_lstm else None
    mask = (torch.arange(steps).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2).to(x.dtype)
    result = Unrolled(output=x, h_n=h0, c_n=c0)
    h_n, c_n = [], []
    layer_input = x
    for layer in range(num_layers):
        if observer is not None and layer > observer.layer:
            break
        outputs = []
        for d, direction in enumerate(directions):
            watched = observer is not None and (layer, direction) == (observer.layer,
                                                                       observer.direction)
            if observer is not None and layer == observer.layer and not watched:
                continue
            index = layer * len(directions) + d
            edits = compile_edits(interventions, any_params.cell, hidden, steps, layer,
                                  direction) if interventions else None
            h_list, h_last, c_last, rec = run_direction(
                params[(layer, direction)], layer_input, lengths, h0[index],
                c0[index] if c0 is not None else None, direction == "backward", record, edits,
                observer.fn if watched and observer is not None else None)
            if edits is not None:
                result.edit_masks[(layer, direction)] = edits.masks
            h_n.append(h_last)
            if c_last is not None:
                c_n.append(c_last)
            if rec is not None:
                result.records[(layer, direction)] = rec
            if layer == num_layers - 1:
                result.last_states[direction] = h_list
            outputs.append(torch.stack(h_list, dim=1) * mask)
        layer_input = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
    result.output = layer_input
    result.h_n = torch.stack(h_n) if h_n else h0
    result.c_n = torch.stack(c_n) if c_n else None
    return result


def gate_slice(record_array: torch.Tensor, cell: str, gate: str, hidden: int) -> torch.Tensor:
    """One gate's block of a fused record array [..., G*H] -> [..., H]."""
    return record_array[..., gate_rows(cell, gate, hidden)]
