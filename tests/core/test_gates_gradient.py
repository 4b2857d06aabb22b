"""‖∂Loss/∂h_t‖ per timestep, checked against plain autograd through nn.LSTM/GRU/RNN."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates import gradient_flow

torch.set_num_threads(1)


def _reference(rnn: nn.RNNBase, head: nn.Linear, x: torch.Tensor, label: int) -> list[float]:
    """Feed nn.* one step at a time; the returned state is h_t, a graph node we can keep."""
    rnn = rnn.double()
    head = head.double()
    state = None
    kept = []
    for t in range(x.shape[0]):
        _, state = rnn(x[None, t:t + 1].double(), state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        kept.append(h)
    logits = head(kept[-1][-1])  # last layer's final state
    F.cross_entropy(logits, torch.tensor([label])).backward()
    return [float(h.grad[-1].norm()) for h in kept]


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("layers", [1, 2])
def test_matches_autograd_step_by_step(cls: type[nn.RNNBase], layers: int) -> None:
    torch.manual_seed(layers)
    rnn = cls(3, 4, num_layers=layers, batch_first=True)
    head = nn.Linear(4, 2)
    x = torch.randn(6, 3)
    ours = gradient_flow(rnn, x, label=1, head=head)
    expected = _reference(rnn, head, x, 1)
    assert ours == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert all(value > 0 for value in ours)


def test_rnn_vanishes_where_lstm_keeps_the_gradient() -> None:
    """The lecture's slide, measured: a tanh RNN's gradient to early tokens fades geometrically;
    an LSTM whose forget gate stays open carries it along the cell state."""
    torch.manual_seed(0)
    steps, hidden = 30, 8
    x = torch.randn(steps, 4) * 0.1
    rnn = nn.RNN(4, hidden, batch_first=True)
    lstm = nn.LSTM(4, hidden, batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(0.3 * torch.linalg.qr(torch.randn(hidden, hidden))[0])
        lstm.bias_hh_l0[hidden:2 * hidden] = 6.0  # forget gate ≈ 1
    head_rnn, head_lstm = nn.Linear(hidden, 2), nn.Linear(hidden, 2)
    flow_rnn = gradient_flow(rnn, x, 0, head=head_rnn)
    flow_lstm = gradient_flow(lstm, x, 0, head=head_lstm)
    assert flow_rnn[0] / flow_rnn[-1] < 1e-10
    assert flow_lstm[0] / flow_lstm[-1] > 1e-3


def test_batch_is_mean_loss_and_padding_is_excluded() -> None:
    torch.manual_seed(5)
    lstm = nn.LSTM(2, 3, bidirectional=True, batch_first=True)
    head = nn.Linear(6, 3)
    embedding = nn.Embedding(10, 2)
    ids = torch.tensor([[1, 4, 2, 7, 3], [5, 6, 9, 0, 0]])
    lengths = [5, 3]
    batch = gradient_flow(lstm, ids, [2, 0], lengths, embedding=embedding, head=head,
                          per_sequence=True)
    alone = [gradient_flow(lstm, ids[0], 2, embedding=embedding, head=head),
             gradient_flow(lstm, ids[1, :3], 0, embedding=embedding, head=head)]
    assert len(batch[1]) == 3
    for got, single in zip(batch, alone, strict=True):
        assert got == pytest.approx([v / 2 for v in single], rel=1e-6)  # mean over 2 sequences
    total = gradient_flow(lstm, ids, [2, 0], lengths, embedding=embedding, head=head)
    assert total[4] == pytest.approx(batch[0][4])
    assert total[0] == pytest.approx((batch[0][0] ** 2 + batch[1][0] ** 2) ** 0.5)


def test_language_model_loss_over_the_sequence() -> None:
    torch.manual_seed(6)
    lstm = nn.LSTM(3, 4, batch_first=True)
    embedding, head = nn.Embedding(12, 3), nn.Linear(4, 12)
    ids = torch.tensor([2, 5, 7, 1, 9])
    flow = gradient_flow(lstm, ids, embedding=embedding, head=head, task="lm")
    # Reference: full-sequence nn.LSTM; position t's output predicts id t+1.
    x = embedding(ids).detach().double()[None].requires_grad_(True)
    lstm_d, head_d = lstm.double(), head.double()
    out, _ = lstm_d(x)
    loss = F.cross_entropy(head_d(out[0, :-1]), ids[1:])
    grads = torch.autograd.grad(loss, out)[0][0]
    # The last output is only read by the loss, so its total gradient is the direct one.
    assert flow[-1] == pytest.approx(0.0)
    assert flow[-2] == pytest.approx(float(grads[-2].norm()), rel=1e-6)


def test_recurrent_model_is_checked_against_its_forward() -> None:
    from lstm_studio.core import models
    from lstm_studio.core.config import ModelConfig

    for pooling in ("last", "mean", "max"):
        torch.manual_seed(7)
        model = models.build_model(ModelConfig(cell="lstm", embedding_dim=4, hidden_size=3,
                                               num_layers=2, bidirectional=True, vocab_size=15,
                                               num_classes=2, pooling=pooling))
        flow = gradient_flow(model, torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]]), [1, 0], [4, 2])
        assert len(flow) == 4 and flow[3] > 0


def test_missing_label_is_a_user_error() -> None:
    with pytest.raises(UserError, match="label"):
        gradient_flow(nn.GRU(2, 2, batch_first=True), torch.zeros(3, 2),
                      head=nn.Linear(2, 2))
