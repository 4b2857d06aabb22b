"""Derivations read the trace faithfully for every cell kind, and top terms are exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates import STAGES, derivation, derivations, trace


def _trace(module: nn.RNNBase, steps: int = 4, seed: int = 0):
    torch.manual_seed(seed)
    x = np.random.default_rng(seed).normal(size=(steps, module.input_size))
    return trace(module, x)


def test_lstm_stage_order_and_results() -> None:
    torch.manual_seed(0)
    tr = _trace(nn.LSTM(4, 3, bidirectional=True, batch_first=True))
    items = derivations(tr, 0, "backward", 1, 2)
    assert [d.stage for d in items] == list(STAGES["lstm"])
    assert [d.title for d in items][:2] == ["Forget gate", "Input gate"]
    d = tr.get(0, "backward")
    assert items[0].result == pytest.approx(d.gates["f"].value[1, 2])
    assert items[4].result == pytest.approx(d.c[1, 2])
    assert items[5].result == pytest.approx(d.h[1, 2])
    assert "backward" in items[0].text
    # The backward direction's h_{t-1} is the state from position t+1.
    np.testing.assert_allclose(d.h_prev[1], d.h[2])


def test_gru_candidate_uses_reset_times_hidden_part() -> None:
    torch.manual_seed(1)
    tr = _trace(nn.GRU(3, 2, batch_first=True))
    item = derivation(tr, step=2, unit=1, stage="candidate")
    values = {t["symbol"]: t["value"] for t in item.terms}
    expected = (values["W_in·x_t"] + values["b_in"]
                + values["r_t"] * (values["W_hn·h_{t-1}"] + values["b_hn"]))
    assert item.sum == pytest.approx(expected)
    assert item.result == pytest.approx(np.tanh(expected))
    assert "r_t ⊙ (W_hn·h_{t-1} + b_hn)" in item.formula
    hidden = derivation(tr, step=2, unit=1, stage="hidden")
    assert hidden.formula == "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}"
    assert hidden.result == pytest.approx(tr.get().h[2, 1])
    assert [d.stage for d in derivations(tr)] == ["reset", "update", "candidate", "hidden"]


def test_relu_rnn_single_stage() -> None:
    torch.manual_seed(2)
    tr = _trace(nn.RNN(3, 2, nonlinearity="relu", batch_first=True))
    item = derivation(tr, step=0, unit=0, stage="h")
    assert item.activation == "relu"
    assert item.formula.startswith("h_t = relu(W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh)")
    assert item.result == pytest.approx(max(0.0, item.sum))
    with pytest.raises(UserError, match="no stage"):
        derivation(tr, stage="forget")


def test_top_terms_are_the_largest_products_of_the_dot_product() -> None:
    torch.manual_seed(4)
    lstm = nn.LSTM(10, 6, batch_first=True)
    tr = _trace(lstm, steps=3)
    d = tr.get()
    top = d.top_terms(step=2, gate="o", unit=4, k=3)
    w = lstm.weight_ih_l0.detach().numpy()[3 * 6 + 4].astype(np.float64)  # o block, unit 4
    products = w * d.x[2]
    expected = np.argsort(-np.abs(products))[:3]
    assert [t["index"] for t in top["input"]] == expected.tolist()
    assert top["input"][0]["product"] == pytest.approx(products[expected[0]])
    assert products.sum() == pytest.approx(d.gates["o"].input_term[2, 4])
    hidden_products = lstm.weight_hh_l0.detach().numpy()[3 * 6 + 4] * d.h_prev[2]
    assert hidden_products.sum() == pytest.approx(d.gates["o"].hidden_term[2, 4], abs=1e-6)
    assert len(top["hidden"]) == 3


def test_out_of_range_requests_are_user_errors() -> None:
    tr = _trace(nn.LSTM(2, 3, batch_first=True), steps=2)
    with pytest.raises(UserError, match="Step 5"):
        derivation(tr, step=5)
    with pytest.raises(UserError, match="Unit 3"):
        derivation(tr, unit=3)
