"""The traced h_t and c_t are what nn.LSTM / nn.GRU / nn.RNN compute (to 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates import trace
from lstm_studio.core.gates.recurrence import unroll
from lstm_studio.core.gates.source import resolve

torch.set_num_threads(1)

CELLS = {
    "lstm": lambda **kw: nn.LSTM(**kw),
    "gru": lambda **kw: nn.GRU(**kw),
    "rnn_tanh": lambda **kw: nn.RNN(nonlinearity="tanh", **kw),
    "rnn_relu": lambda **kw: nn.RNN(nonlinearity="relu", **kw),
}


def _make(kind: str, seed: int, input_size: int, hidden: int, layers: int, bidirectional: bool,
          bias: bool = True) -> nn.RNNBase:
    torch.manual_seed(seed)
    module = CELLS[kind](input_size=input_size, hidden_size=hidden, num_layers=layers,
                         bidirectional=bidirectional, batch_first=True, bias=bias)
    scale = 0.5 if kind == "rnn_relu" else 1.0  # relu states are unbounded: keep them O(10)
    with torch.no_grad():  # larger than default init so gates saturate and states grow
        for param in module.parameters():
            param.uniform_(-scale, scale)
    return module.eval()


@pytest.fixture(scope="module")
def warm_torch() -> None:
    """One trace of each cell outside the examples: PyTorch's first calls of a kind in a process
    are slow, a one-off cost that must not count against hypothesis's per-example deadline."""
    for kind in CELLS:
        trace(_make(kind, 0, 2, 2, 1, True, True), torch.randn(3, 2))


@settings(max_examples=30)
@given(kind=st.sampled_from(sorted(CELLS)), seed=st.integers(0, 10_000),
       input_size=st.integers(1, 6), hidden=st.integers(1, 6), layers=st.integers(1, 3),
       bidirectional=st.booleans(), steps=st.integers(1, 12), bias=st.booleans(),
       with_state=st.booleans())
def test_trace_matches_pytorch(warm_torch: None, kind: str, seed: int, input_size: int,
                               hidden: int, layers: int, bidirectional: bool, steps: int,
                               bias: bool, with_state: bool) -> None:
    module = _make(kind, seed, input_size, hidden, layers, bidirectional, bias)
    directions = 2 if bidirectional else 1
    x = torch.randn(steps, input_size) * 2
    h0 = torch.randn(layers * directions, hidden) if with_state else None
    c0 = torch.randn(layers * directions, hidden) if with_state and kind == "lstm" else None
    state = None
    if with_state:
        state = (h0[:, None], c0[:, None]) if kind == "lstm" else h0[:, None]
    with torch.no_grad():
        output, final = module(x[None], state)
    tr = trace(module, x, h0=h0, c0=c0)
    np.testing.assert_allclose(tr.output, output[0].numpy(), atol=1e-5, rtol=0)
    h_n = final[0] if kind == "lstm" else final
    np.testing.assert_allclose(tr.h_n, h_n[:, 0].numpy(), atol=1e-5, rtol=0)
    if kind == "lstm":
        np.testing.assert_allclose(tr.c_n, final[1][:, 0].numpy(), atol=1e-5, rtol=0)
    # Per-layer h_t as well: layer k's trace is the next layer's input.
    for layer in range(layers - 1):
        expected = np.concatenate([tr.get(layer, d).h for d in tr.directions], axis=1)
        np.testing.assert_allclose(tr.get(layer + 1).x, expected, atol=1e-12)
    # Internal consistency: pre = sum of the four terms, value = activation(pre).
    d = tr.get(layers - 1, tr.directions[-1])
    for gate in d.gates.values():
        hidden_part = gate.hidden_term + gate.hidden_bias
        if gate.reset is not None:
            hidden_part = gate.reset * hidden_part
        np.testing.assert_allclose(gate.pre, gate.input_term + gate.input_bias + hidden_part,
                                   atol=1e-12)


@settings(max_examples=15)
@given(kind=st.sampled_from(sorted(CELLS)), seed=st.integers(0, 10_000),
       layers=st.integers(1, 2), bidirectional=st.booleans(),
       lengths=st.lists(st.integers(1, 9), min_size=1, max_size=4))
def test_batched_unroll_with_lengths_matches_packed_pytorch(warm_torch: None, kind: str,
                                                            seed: int, layers: int,
                                                            bidirectional: bool,
                                                            lengths: list[int]) -> None:
    """Gradient flow and prefix predictions unroll padded batches: padding must never leak."""
    module = _make(kind, seed, 3, 4, layers, bidirectional)
    width = max(lengths)
    x = torch.randn(len(lengths), width, 3)
    lengths_t = torch.tensor(lengths)
    with torch.no_grad():
        packed = pack_padded_sequence(x, lengths_t, batch_first=True, enforce_sorted=False)
        out, final = module(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=width)
    source = resolve(module)
    result = unroll(source.params(), layers, bidirectional, x.double(), lengths_t)
    np.testing.assert_allclose(result.output.numpy(), out.numpy(), atol=1e-5)
    h_n = final[0] if kind == "lstm" else final
    np.testing.assert_allclose(result.h_n.numpy(), h_n.numpy(), atol=1e-5)


def test_three_hundred_tokens_hidden_128_trace_whole() -> None:
    """How long this takes: bench/bench_gates.py (300 tokens, hidden 128)."""
    torch.manual_seed(0)
    lstm = nn.LSTM(64, 128, batch_first=True)
    embedding = nn.Embedding(500, 64)
    ids = torch.randint(0, 500, (300,))
    tr = trace(lstm, ids, embedding=embedding)
    assert tr.get().gates["f"].value.shape == (300, 128)
    assert tr.ids == ids.tolist()
    with torch.no_grad():
        expected, _ = lstm(embedding(ids)[None])
    np.testing.assert_allclose(tr.output, expected[0].numpy(), atol=1e-5, rtol=0)


def test_trace_of_a_recurrent_model_matches_its_rnn_outputs() -> None:
    from lstm_studio.core import models
    from lstm_studio.core.config import ModelConfig

    torch.manual_seed(3)
    model = models.build_model(ModelConfig(cell="gru", embedding_dim=5, hidden_size=4,
                                           num_layers=2, bidirectional=True, vocab_size=30,
                                           num_classes=2)).eval()
    ids = torch.tensor([[4, 9, 1, 17, 2, 8]])
    with torch.no_grad():
        output, _ = model.rnn_outputs(ids, torch.tensor([6]))
    tr = trace(model, ids[0])
    np.testing.assert_allclose(tr.output, output[0].numpy(), atol=1e-5)
    assert tr.tokens == ["4", "9", "1", "17", "2", "8"]  # no vocabulary: ids as names


def test_user_errors_are_one_sentence() -> None:
    lstm = nn.LSTM(2, 3, batch_first=True)
    with pytest.raises(UserError, match="vocabulary"):
        trace(lstm, "a sentence")
    with pytest.raises(UserError, match="embedding"):
        trace(lstm, [1, 2, 3])
    with pytest.raises(UserError, match="features"):
        trace(lstm, np.zeros((4, 5)))
    tr = trace(lstm, np.zeros((4, 2)))
    with pytest.raises(UserError, match="Layer 1 does not exist"):
        tr.get(1)
    with pytest.raises(UserError, match="backward"):
        tr.get(0, "backward")


def test_trace_to_dict_is_json(tmp_path) -> None:
    import json

    torch.manual_seed(1)
    tr = trace(nn.LSTM(3, 2, num_layers=2, bidirectional=True, batch_first=True),
               np.random.default_rng(0).normal(size=(5, 3)))
    data = json.loads(json.dumps(tr.to_dict()))
    assert data["cell"] == "lstm" and data["gate_order"] == ["f", "i", "g", "o"]
    assert len(data["layers"]) == 4
    first = data["layers"][0]
    assert set(first["gates"]) == {"f", "i", "g", "o"}
    assert len(first["gates"]["f"]["value"]) == 5 and len(first["c"]) == 5
    np.testing.assert_allclose(data["output"], tr.output)
