"""PyTorch fuses the LSTM gates as i, f, g, o (GRU: r, z, n); the tracer must read them so."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates import PYTORCH_GATE_ORDER, gate_rows, trace
from lstm_studio.core.gates.fused import set_gate


def test_documented_fused_order() -> None:
    assert PYTORCH_GATE_ORDER["lstm"] == ("i", "f", "g", "o")
    assert PYTORCH_GATE_ORDER["gru"] == ("r", "z", "n")
    assert gate_rows("lstm", "f", 5) == slice(5, 10)
    assert gate_rows("lstm", "o", 5) == slice(15, 20)
    assert gate_rows("gru", "n", 3) == slice(6, 9)
    with pytest.raises(UserError):
        gate_rows("gru", "f", 3)


def _zero_lstm(hidden: int = 3) -> nn.LSTM:
    lstm = nn.LSTM(2, hidden, batch_first=True)
    with torch.no_grad():
        for param in lstm.parameters():
            param.zero_()
    return lstm


@pytest.mark.parametrize("gate", ["i", "f", "g", "o"])
def test_raw_rows_of_one_block_move_only_that_gate(gate: str) -> None:
    """Write PyTorch's row block directly (not via our helpers) and see which gate moves."""
    hidden = 3
    lstm = _zero_lstm(hidden)
    block = ("i", "f", "g", "o").index(gate)
    with torch.no_grad():
        lstm.bias_ih_l0[block * hidden:(block + 1) * hidden] = 2.0
    tr = trace(lstm, np.ones((2, 2)))
    d = tr.get()
    for name, values in d.gates.items():
        neutral = 0.0 if name == "g" else 0.5  # tanh(0), σ(0)
        moved = not np.allclose(values.value, neutral)
        assert moved == (name == gate), f"setting rows of {gate} moved {name}"
    np.testing.assert_allclose(d.gates[gate].input_bias, 2.0)


def test_forget_block_controls_memory() -> None:
    """Only the f block open and a previous cell state: c_t = f·c_{t-1} exactly."""
    lstm = _zero_lstm(1)
    with torch.no_grad():
        lstm.bias_hh_l0[1] = 3.0  # row block 1 is the forget gate
    tr = trace(lstm, np.zeros((1, 2)), h0=[[0.0]], c0=[[2.0]])
    d = tr.get()
    f = 1 / (1 + np.exp(-3.0))
    assert d.gates["f"].value[0, 0] == pytest.approx(f)
    assert d.gates["i"].value[0, 0] == pytest.approx(0.5)
    assert d.c[0, 0] == pytest.approx(f * 2.0)  # i·g = 0.5·tanh(0) = 0


def test_gru_blocks_and_reset_inside_candidate() -> None:
    hidden = 2
    gru = nn.GRU(1, hidden, batch_first=True)
    with torch.no_grad():
        for param in gru.parameters():
            param.zero_()
        gru.bias_hh_l0[0:hidden] = -50.0  # r ≈ 0: the hidden part of n is switched off
        gru.bias_hh_l0[2 * hidden:] = 5.0  # b_hn, multiplied by r
        gru.bias_ih_l0[2 * hidden:] = 0.25  # b_in
    tr = trace(gru, np.zeros((1, 1)), h0=[[0.0, 0.0]])
    d = tr.get()
    assert np.allclose(d.gates["r"].value, 0.0, atol=1e-12)
    np.testing.assert_allclose(d.gates["n"].hidden_bias, 5.0)
    np.testing.assert_allclose(d.gates["n"].value, np.tanh(0.25))  # r⊙(W_hn h + b_hn) = 0
    np.testing.assert_allclose(d.gates["z"].value, 0.5)


def test_set_gate_writes_the_right_block() -> None:
    lstm = _zero_lstm(2)
    set_gate(lstm, 0, "forward", "g", b_ih=1.5)
    assert lstm.bias_ih_l0.tolist() == [0, 0, 0, 0, 1.5, 1.5, 0, 0]
