"""What-if edits inside the shared recurrence: parsing, exact semantics, and what reflects them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_studio.core.config import ModelConfig
from lstm_studio.core.errors import UserError
from lstm_studio.core.gates import derivations, gradient_flow, prefix_predictions, trace
from lstm_studio.core.gates.interventions import Intervention, parse_intervention
from lstm_studio.core.models import build_model

IDS = [5, 3, 9, 12, 1, 7, 4]


def _model(**overrides):
    config = ModelConfig(**{"cell": "lstm", "embedding_dim": 5, "hidden_size": 4,
                            "vocab_size": 20, "num_classes": 3, **overrides})
    torch.manual_seed(3)
    model = build_model(config).eval()
    with torch.no_grad():  # larger weights than the default init: gates far from 0.5
        for param in model.rnn.parameters():
            param.uniform_(-1.0, 1.0)
    return model


def _arrays(tr) -> list[np.ndarray]:
    out = [tr.output, tr.h_n]
    for d in tr.layers.values():
        out += [d.h, d.h_prev, *(g.value for g in d.gates.values()),
                *(g.pre for g in d.gates.values())]
        if d.c is not None:
            out += [d.c, d.c_prev]
    return out


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("clamp", "h:37=0", Intervention("clamp", "h", 0.0, 37)),
    ("clamp", "c:5=1.5@3..", Intervention("clamp", "c", 1.5, 5, start=3)),
    ("clamp", "c:5=-2@3..7", Intervention("clamp", "c", -2.0, 5, start=3, stop=7)),
    ("clamp", "h:1=0.5@4", Intervention("clamp", "h", 0.5, 1, start=4, stop=4)),
    ("clamp", "h:1=0.5@..4", Intervention("clamp", "h", 0.5, 1, start=0, stop=4)),
    ("force", "f=1@5..", Intervention("force", "f", 1.0, None, start=5)),
    ("force", "i=0", Intervention("force", "i", 0.0)),
])
def test_parse_the_command_line_form(kind: str, text: str, expected: Intervention) -> None:
    parsed = parse_intervention(kind, text)
    assert parsed == expected
    assert parse_intervention(kind, parsed.spec()) == parsed  # spec() round-trips
    assert Intervention.from_dict(parsed.to_dict()) == parsed


@pytest.mark.parametrize("text", ["h37=0", "h:x=1", "h:3=", "h:3=abc", "h:3=1@", "=1"])
def test_parse_errors_are_one_sentence(text: str) -> None:
    with pytest.raises(UserError, match="clamp"):
        parse_intervention("clamp", text)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_identity_edit_changes_nothing(cell: str, bidirectional: bool) -> None:
    """Clamping every unit of h (and c) to the value it already has leaves every number equal."""
    model = _model(cell=cell, bidirectional=bidirectional, num_layers=2, pooling="mean")
    plain = trace(model, IDS)
    edits = []
    for (layer, direction), d in plain.layers.items():
        for t in range(len(IDS)):
            for unit in range(d.hidden_size):
                edits.append(Intervention("clamp", "h", float(d.h[t, unit]), unit, t, t, layer,
                                          direction))
                if cell == "lstm":
                    edits.append(Intervention("clamp", "c", float(d.c[t, unit]), unit, t, t,
                                              layer, direction))
                    edits.append(Intervention("force", "f", float(d.gates["f"].value[t, unit]),
                                              unit, t, t, layer, direction))
    edited = trace(model, IDS, interventions=edits)
    for before, after in zip(_arrays(plain), _arrays(edited), strict=True):
        assert np.array_equal(before, after)
    labels = ["a", "b", "c"]
    rows = prefix_predictions(model, IDS, labels=labels, interventions=edits)
    reference = prefix_predictions(model, IDS, labels=labels)  # the model's own forward
    if bidirectional:  # a shorter prefix has other backward states: only the whole sentence
        rows, reference = rows[-1:], reference[-1:]
    for row, ref in zip(rows, reference, strict=True):
        assert list(row.probabilities.values()) == pytest.approx(
            list(ref.probabilities.values()), abs=1e-6)


def test_forget_and_input_gates_at_zero_empty_the_cell_exactly() -> None:
    model = _model(num_layers=2)
    edits = [parse_intervention("force", "f=0@3.."), parse_intervention("force", "i=0@3..")]
    tr = trace(model, IDS, interventions=edits)
    d = tr.get(0)
    assert np.all(d.c[3:] == 0.0) and np.all(d.h[3:] == 0.0)
    assert np.all(d.gates["f"].value[3:] == 0.0) and np.all(d.gates["i"].value[3:] == 0.0)
    assert np.any(d.c[:3] != 0.0)
    plain = trace(model, IDS)
    np.testing.assert_array_equal(d.c[:3], plain.get(0).c[:3])  # before the edit: unchanged
    # The pre-activations are what the cell computed; only the activations were forced.
    np.testing.assert_array_equal(d.gates["f"].pre[:4], plain.get(0).gates["f"].pre[:4])
    # Layer 1 reads the emptied layer 0: its input is zero from step 3 on.
    assert np.all(tr.get(1).x[3:] == 0.0)
    assert tr.get(1).is_edited("h", 3, 0) is False
    assert d.is_edited("f", 3, 0) and not d.is_edited("f", 2, 0)


def test_clamped_cell_state_feeds_h_and_the_next_step() -> None:
    model = _model()
    tr = trace(model, IDS, interventions=[parse_intervention("clamp", "c:2=1.5@2..3")])
    d = tr.get(0)
    assert d.c[2, 2] == 1.5 and d.c[3, 2] == 1.5 and d.c[4, 2] != 1.5
    assert d.c_prev[3, 2] == 1.5 and d.c_prev[4, 2] == 1.5
    assert d.h[2, 2] == pytest.approx(d.gates["o"].value[2, 2] * np.tanh(1.5), abs=1e-15)
    assert d.c_prev[4, 2] * d.gates["f"].value[4, 2] + \
        d.gates["i"].value[4, 2] * d.gates["g"].value[4, 2] == pytest.approx(d.c[4, 2])
    text = "\n".join(item.text for item in derivations(tr, 0, "forward", 2, 2))
    assert "what-if edit: c_t clamped to 1.500" in text


def test_gru_update_gate_at_one_freezes_the_state() -> None:
    model = _model(cell="gru")
    tr = trace(model, IDS, interventions=[parse_intervention("force", "z=1@2..")])
    d = tr.get(0)
    for t in range(2, len(IDS)):
        np.testing.assert_array_equal(d.h[t], d.h[1])
    text = derivations(tr, 0, "forward", 3, 0)[1].text
    assert "what-if edit: z_t forced to 1.000" in text


def test_final_probabilities_reflect_the_edit() -> None:
    """h clamped to 0 everywhere: the head sees zeros, so the prediction is softmax(bias)."""
    model = _model(pooling="last")
    rows = prefix_predictions(model, IDS, labels=["a", "b", "c"],
                              interventions=[parse_intervention("clamp", "h=0")])
    expected = torch.softmax(model.head.bias.detach().double(), dim=0).tolist()
    for row in rows:
        assert list(row.probabilities.values()) == pytest.approx(expected, abs=1e-12)


def test_gradient_flow_runs_through_the_edit() -> None:
    """At step 4 the cell is emptied (f = i = 0) and h clamped: nothing later reads steps 0-3."""
    model = _model()
    plain = gradient_flow(model, IDS, label=0)
    edits = [parse_intervention("force", "f=0@4"), parse_intervention("force", "i=0@4"),
             parse_intervention("clamp", "h=0@4")]
    edited = gradient_flow(model, IDS, label=0, interventions=edits)
    assert all(value > 0 for value in plain[:4])
    assert edited[:4] == [0.0, 0.0, 0.0, 0.0]
    assert all(value > 0 for value in edited[5:])


@pytest.mark.parametrize(("cell", "kind", "text", "message"), [
    ("lstm", "force", "c=1", "can force f, i, o"),
    ("gru", "clamp", "c:0=1", "can clamp h"),
    ("rnn", "force", "f=1", "can force nothing"),
    ("lstm", "force", "f=2", "between 0 and 1"),
    ("lstm", "clamp", "h:9=1", "unit 9 does not exist"),
    ("lstm", "clamp", "h:0=1@20..", "past the end"),
    ("lstm", "clamp", "h:0=1@5..3", "range is empty"),
    ("lstm", "clamp", "h:0=nan", "finite"),
])
def test_edits_the_model_cannot_take(cell: str, kind: str, text: str, message: str) -> None:
    model = _model(cell=cell)
    with pytest.raises(UserError, match=message):
        trace(model, IDS, interventions=[parse_intervention(kind, text)])
    with pytest.raises(UserError, match="layer 3 does not exist"):
        trace(model, IDS, interventions=[parse_intervention("clamp", "h=0", layer=3)])
