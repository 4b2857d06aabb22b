"""From unrolled hidden states to the model's logits, mirroring RecurrentModel.forward.

Gradient flow differentiates through `unroll` rather than through nn.LSTM (whose fused kernel
hides each h_t), so the pooling and head are reapplied here in the same way the model applies
them: 'last' = state after the last real token (bidirectional: forward-last ⊕ backward-first),
'mean'/'max' over real tokens only; a language model applies the head at every position.
`gradient.py` checks the result against the model's own forward pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lstm_studio.core.errors import UserError
from lstm_studio.core.gates.recurrence import Unrolled
from lstm_studio.core.gates.source import Source


def pool(source: Source, unrolled: Unrolled, lengths: torch.Tensor) -> torch.Tensor:
    """One vector per sequence [B, D*H] from the last layer's states."""
    if source.pooling == "last":
        forward = unrolled.last_states["forward"][-1]  # held at each sequence's last real token
        if "backward" in unrolled.last_states:
            return torch.cat([forward, unrolled.last_states["backward"][0]], dim=1)
        return forward
    output = unrolled.output
    mask = (torch.arange(output.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
    if source.pooling == "mean":
        return (output * mask).sum(dim=1) / lengths.clamp(min=1).unsqueeze(1).to(output.dtype)
    if source.pooling == "max":
        return output.masked_fill(~mask, float("-inf")).max(dim=1).values
    raise UserError(f"Unknown pooling {source.pooling!r}; use last, mean or max.")


def head_logits(source: Source, features: torch.Tensor) -> torch.Tensor:
    """Apply the model's linear head in the features' dtype."""
    head = source.head
    if head is None:
        raise UserError("This needs the model's output layer; pass a head (nn.Linear).")
    weight = head.weight.detach().cpu().to(features.dtype)
    bias = head.bias.detach().cpu().to(features.dtype) if head.bias is not None else None
    return F.linear(features, weight, bias)


def logits(source: Source, unrolled: Unrolled, lengths: torch.Tensor) -> torch.Tensor:
    """[B, classes] for a classifier, [B, T, vocab] for a language model."""
    if source.task == "lm":
        return head_logits(source, unrolled.output)
    return head_logits(source, pool(source, unrolled, lengths))
