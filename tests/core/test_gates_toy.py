"""The lecture's worked example, reproduced by a real 1x1 nn.LSTM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates import derivation, toy_cell


def test_lecture_preset_reproduces_the_slides() -> None:
    result = toy_cell("lecture").result()
    assert round(result["f"], 3) == 0.997
    assert round(result["i"], 3) == 0.986
    assert round(result["g"], 3) == 0.966
    assert round(result["o"], 3) == 0.992
    # The slide multiplies rounded gates: 0.997·2 + 0.986·0.966 = 2.946; exact arithmetic 2.948.
    assert round(0.997 * 2 + 0.986 * 0.966, 3) == 2.946
    assert round(result["c"], 3) == 2.948
    assert result["c"] == pytest.approx(result["f"] * 2 + result["i"] * result["g"])
    # h_t = o_t ⊙ tanh(c_t), a product (the slide prints the sum 1.986).
    assert round(result["h"], 3) == 0.986
    assert result["h"] == pytest.approx(result["o"] * np.tanh(result["c"]))


def test_toy_is_a_real_lstm() -> None:
    cell = toy_cell("lecture", x=-0.5, h_prev=0.3, c_prev=-1.0, W_hg=-2.0)
    with torch.no_grad():
        _, (h, c) = cell.module(torch.tensor([[[-0.5]]]),
                                (torch.tensor([[[0.3]]]), torch.tensor([[[-1.0]]])))
    result = cell.result()
    assert result["h"] == pytest.approx(float(h), abs=1e-6)
    assert result["c"] == pytest.approx(float(c), abs=1e-6)


def test_presets_forget_and_remember() -> None:
    forget = toy_cell("forget").result()
    assert forget["f"] < 1e-3 and abs(forget["c"]) < 1e-2
    remember = toy_cell("remember-everything").result()
    assert remember["f"] > 0.999 and remember["i"] < 1e-3
    assert remember["c"] == pytest.approx(2.0, abs=1e-2)


def test_overrides_change_only_what_they_name() -> None:
    base = toy_cell("lecture")
    changed = base.with_values(b_hf=-10.0)
    assert changed.values["b_hf"] == -10.0 and base.values["b_hf"] == 1.62
    assert changed.result()["f"] < base.result()["f"]
    assert changed.result()["i"] == pytest.approx(base.result()["i"])
    assert toy_cell("lecture", w_if=0.0).values["W_if"] == 0.0  # case-insensitive names
    with pytest.raises(UserError, match="no setting"):
        toy_cell("lecture", W_xx=1.0)
    with pytest.raises(UserError, match="no toy preset"):
        toy_cell("nope")


def test_lecture_derivation_texts() -> None:
    tr = toy_cell("lecture").trace()
    forget = derivation(tr, 0, "forward", 0, 0, "forget")
    lines = forget.text.splitlines()
    assert lines[1] == ("W_if·x_t + b_if + W_hf·h_{t-1} + b_hf = "
                        "1.630 + 0.000 + 2.700 + 1.620 = 5.950")
    assert lines[2] == "σ(5.950) = 0.997"
    assert forget.formula == "f_t = σ(W_if·x_t + b_if + W_hf·h_{t-1} + b_hf)"
    assert [t["symbol"] for t in forget.terms] == ["W_if·x_t", "b_if", "W_hf·h_{t-1}", "b_hf"]
    assert forget.sum == pytest.approx(5.95, abs=1e-5)
    candidate = derivation(tr, stage="candidate")
    assert "0.940 + (-0.320) + 1.410 + 0.000 = 2.030" in candidate.text
    assert candidate.text.endswith("tanh(2.030) = 0.966")
    cell = derivation(tr, stage="cell")
    assert cell.substituted == "0.997·2.000 + 0.986·0.966 = 1.995 + 0.953 = 2.948"
    hidden = derivation(tr, stage="hidden")
    assert hidden.substituted == "0.992·tanh(2.948) = 0.992·0.995 = 0.986"
    assert hidden.result == pytest.approx(0.98623, abs=1e-4)


def test_toy_to_dict_lists_six_stages_in_lecture_order() -> None:
    data = toy_cell().to_dict()
    assert [d["stage"] for d in data["derivations"]] == [
        "forget", "input", "candidate", "output", "cell", "hidden"]
    assert {"f", "i", "g", "o", "c", "h"} <= set(data)
    assert any("1.986" in note for note in data["notes"])
