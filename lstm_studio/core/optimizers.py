"""The optimizer a training run uses, built from its TrainConfig (validated first)."""

from __future__ import annotations

import torch

from lstm_studio.core.config import TrainConfig, validate_training


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    validate_training(config)
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer in ("adam", "adamw"):
        cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
        try:  # the fused kernel updates a large embedding table several times faster
            return cls(params, lr=config.lr, weight_decay=config.weight_decay, fused=True)
        except (RuntimeError, TypeError, ValueError):
            return cls(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay,
                               momentum=config.momentum)
    raise AssertionError(f"validate_training let optimizer {config.optimizer!r} through")
