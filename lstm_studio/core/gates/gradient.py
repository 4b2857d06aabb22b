"""The lecture's vanishing/exploding-gradient slide, measured: ‖∂Loss/∂h_t‖ for every t.

h_t is the last layer's hidden state (both directions concatenated when bidirectional), and the
derivative is the *total* one: through the head and through every later step of the
recurrence. PyTorch's fused nn.LSTM never exposes h_t as a graph node, so the stack is unrolled
with `recurrence.unroll` (float64, same weights) and each h_t keeps its gradient. For a model
with a forward(ids, lengths) method the recomputed logits are checked against the model's own.

Loss: cross-entropy of the classifier against `label`; for a language model, the mean next-word
cross-entropy over the sequence (position t predicts id t+1; the last position predicts nothing).
A batch uses the mean loss, as training does, and the reported value at t is the norm of the
whole batch's ∂Loss/∂h_t (padding positions excluded); `per_sequence=True` gives one list each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.interventions import Intervention, check_interventions
from lstm_studio.core.gates.readout import logits as readout_logits
from lstm_studio.core.gates.recurrence import unroll
from lstm_studio.core.gates.source import Source, as_tensor, device_of, embed, resolve
from lstm_studio.core.progress import Progress, report


def _batch(source: Source, ids: Any, lengths: Any) -> tuple[torch.Tensor, torch.Tensor | None,
                                                            torch.Tensor]:
    """(x [B, T, In] float64, ids [B, T] or None, lengths [B])."""
    values = as_tensor(ids)
    floating = values.is_floating_point()
    if values.dim() == (2 if floating else 1):
        values = values.unsqueeze(0)
    if values.dim() != (3 if floating else 2) or values.shape[1] == 0:
        raise UserError("Gradient flow needs a non-empty sequence (or a batch of them).")
    if lengths is None:
        lengths = torch.full((values.shape[0],), values.shape[1], dtype=torch.long)
    lengths = torch.as_tensor(np.asarray(lengths), dtype=torch.long).reshape(-1)
    if floating:
        return values.to(torch.float64), None, lengths
    if source.embedding is None:
        raise UserError("Token ids need an embedding layer; pass input vectors instead.")
    return embed(source.embedding, values.long()), values.long(), lengths


def _labels(source: Source, label: Any, batch: int) -> torch.Tensor:
    if label is None:
        raise UserError("A classifier's gradient flow needs the sentence's label.")
    items = label if isinstance(label, (list, tuple, np.ndarray, torch.Tensor)) else [label]
    index = []
    for item in items:
        if isinstance(item, str):
            if not source.labels or item not in source.labels:
                raise UserError(f"Unknown label {item!r}; the model knows "
                                f"{', '.join(source.labels or [])}.")
            index.append(source.labels.index(item))
        else:
            index.append(int(item))
    if len(index) == 1 and batch > 1:
        index *= batch
    return torch.tensor(index, dtype=torch.long)


def _loss(source: Source, logits: torch.Tensor, ids: torch.Tensor | None, label: Any,
          lengths: torch.Tensor) -> torch.Tensor:
    if source.task != "lm":
        return F.cross_entropy(logits, _labels(source, label, logits.shape[0]))
    if ids is None:
        raise UserError("A language model's gradient flow needs token ids.")
    targets = ids[:, 1:].clone()
    steps = torch.arange(targets.shape[1])[None, :]
    targets[steps >= (lengths[:, None] - 1)] = -100
    if bool((targets == -100).all()):
        raise UserError("A language model needs at least two tokens to measure a loss.")
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=-100)


def _check_against_model(source: Source, ids: torch.Tensor | None, lengths: torch.Tensor,
                         ours: torch.Tensor) -> None:
    """Refuse to report gradients of a function that is not the model's."""
    model = source.model
    if model is None or ids is None or not hasattr(model, "forward"):
        return
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            theirs = model(ids.to(device_of(model)), lengths).double().cpu()
    finally:
        model.train(was_training)
    if theirs.shape != ours.shape or not torch.allclose(theirs, ours.detach(), atol=1e-4,
                                                        rtol=1e-4):
        raise RuntimeError("gradient_flow: recomputed logits differ from the model's forward "
                           "pass; the readout no longer mirrors RecurrentModel.forward")


def gradient_flow(model: Any, ids: Any, label: Any = None, lengths: Any = None, *,
                  embedding: torch.nn.Module | None = None, head: torch.nn.Linear | None = None,
                  task: str | None = None, pooling: str | None = None,
                  per_sequence: bool = False,
                  interventions: list[Intervention] | None = None,
                  progress: Progress | None = None) -> list:
    """‖∂Loss/∂h_t‖ for t = 0..T-1 (see the module docstring for the exact definitions).

    `model`: RecurrentModel / ModelBundle, or a bare nn.LSTM/GRU/RNN with `head` (and
    `embedding` for ids). `ids`: [T] or [B, T] token ids, or [T, In] / [B, T, In] vectors.
    `label`: class index or name (or one per sequence). `interventions`: what-if edits, applied
    in the recurrence the gradient flows through.
    """
    source = resolve(model, embedding=embedding, head=head, task=task, pooling=pooling)
    x, id_tensor, lengths_t = _batch(source, ids, lengths)
    edits = list(interventions or [])
    rnn = source.rnn
    check_interventions(edits, source.cell, rnn.num_layers, rnn.bidirectional, rnn.hidden_size,
                        x.shape[1])
    report(progress, 0, 1, "gradient flow")
    x.requires_grad_(True)
    with torch.enable_grad():
        unrolled = unroll(source.params(torch.float64), source.rnn.num_layers,
                          source.rnn.bidirectional, x, lengths_t, interventions=edits)
        for states in unrolled.last_states.values():
            for h in states:
                h.retain_grad()
        logits = readout_logits(source, unrolled, lengths_t)
        if not edits:  # an edited cell is meant to differ from the model's forward
            _check_against_model(source, id_tensor, lengths_t, logits)
        _loss(source, logits, id_tensor, label, lengths_t).backward()
    squared = torch.zeros(x.shape[0], x.shape[1], dtype=torch.float64)
    for states in unrolled.last_states.values():
        for t, h in enumerate(states):
            if h.grad is not None:
                squared[:, t] += (h.grad ** 2).sum(dim=1)
    live = torch.arange(x.shape[1])[None, :] < lengths_t[:, None]
    squared = squared * live
    report(progress, 1, 1, "gradient flow")
    if per_sequence:
        return [row[: int(n)] for row, n in zip(squared.sqrt().tolist(), lengths_t.tolist(),
                                                strict=True)]
    return squared.sum(dim=0).sqrt().tolist()
