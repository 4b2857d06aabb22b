"""The processes that train one model together, as the training loop sees them.

All the loop knows of other processes is what it asks its `World`: a batch plan every
process can split (`plan`), which part of a planned batch this process computes (`shard`),
how much its loss weighs (`loss_scale`), the step's figures for the whole batch
(`step_figures`), whether any process asks to stop, checkpoint or end at the time budget
(`agree`), the main process's validation (`share_metrics`) and every process's random state
for a checkpoint (`gather_rng`). `SingleProcess` answers all of it locally and changes nothing in a
one-process run; `core/distributed.py` answers it with torch.distributed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_studio.core.errors import RunInterrupted
from lstm_studio.core.sampling import BatchSampler

METRIC_KEYS: tuple[str, ...] = ("loss", "accuracy", "macro_f1", "perplexity")


@dataclass
class StepFigures:
    """One step's figures for the whole planned batch (every process's part of it)."""

    loss: float  # mean loss over the batch's documents (classifier) or tokens (language model)
    grad_norm: float
    correct: int  # correct predictions in the batch (0 for language models)
    tokens: int  # real input tokens in the batch


class SingleProcess:
    """The whole batch is computed here; nothing to exchange."""

    rank = 0
    size = 1
    is_main = True
    backend = ""
    device: torch.device | None = None  # None: the training settings' device

    def plan(self, sampler: BatchSampler) -> BatchSampler:
        """The sampler the processes share (every batch long enough to split)."""
        return sampler

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module the training step calls (a DDP wrapper reduces gradients)."""
        return model

    def shard(self, indices: list[int]) -> list[int]:
        return indices

    def loss_scale(self, count: int, planned: int) -> float:
        """Factor for this process's mean loss so the averaged gradient is the whole batch's."""
        return 1.0

    def step_figures(self, loss: torch.Tensor, grad_norm: torch.Tensor, correct: torch.Tensor,
                     count: int, planned: int, tokens: int) -> StepFigures:
        # One device sync for the three numbers the step reports.
        loss_value, norm_value, correct_value = torch.stack(
            [loss.float(), grad_norm.float().to(loss.device), correct.float()]).tolist()
        return StepFigures(loss_value, norm_value, int(correct_value), tokens)

    def agree(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag set on any process is set on all (here: as given)."""
        return tuple(bool(flag) for flag in flags)

    def share_metrics(self, metrics: dict) -> dict:
        """The main process's validation figures, on every process."""
        return metrics

    def gather_rng(self, state: torch.Tensor) -> list[torch.Tensor]:
        """Every process's CPU random state, main process first."""
        return [state]

    def lost_peer(self, error: BaseException) -> bool:
        """Whether `error` means another process of the run is gone (never, alone)."""
        return False

    def close(self, together: bool = True) -> None: ...


World = SingleProcess  # the interface; core/distributed.py's DataParallel implements it too


def peer_lost(rank: int, size: int, error: BaseException) -> RunInterrupted:
    """The one-sentence error of a process whose partners vanished (the run is resumable)."""
    first_line = (str(error).splitlines() or [type(error).__name__])[0][:160]
    return RunInterrupted(
        f"Training process {rank} of {size} lost contact with the others ({first_line}); "
        "the run stops here and can be resumed from its last checkpoint.")


def metrics_to_tensor(metrics: dict) -> torch.Tensor:
    """The headline validation figures as floats (NaN = absent), for a broadcast."""
    return torch.tensor([float(metrics[key]) if metrics.get(key) is not None else float("nan")
                         for key in METRIC_KEYS], dtype=torch.float64)


def metrics_from_tensor(values: torch.Tensor) -> dict:
    figures = values.tolist()
    return {key: value for key, value in zip(METRIC_KEYS, figures, strict=True)
            if value == value}  # NaN != NaN: an absent figure
