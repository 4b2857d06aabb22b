"""Data-parallel training on torch.distributed: every process holds the whole model, computes
its share of each planned batch, and DistributedDataParallel averages the gradients.

Processes are started by torchrun's launcher (`lstm-studio train --nproc N` calls it, or the
user runs `torchrun ... -m lstm_studio train ...`), which sets RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR and MASTER_PORT; `start_world` joins the process group from them: gloo on CPUs,
NCCL on CUDA GPUs (one GPU per local process).

Every process plans the same batches (same seed, same epoch: core/sampling.py) and takes every
N-th sequence of each (`shard`), so all of them do the same number of steps and the effective
batch is the one the settings name. Each process's mean loss is weighted by its share of the
batch's documents (or tokens), so the averaged gradient is exactly the gradient of the whole
batch's mean loss: one data-parallel step equals one single-process step on the batch.

A collective that fails because another process died becomes `RunInterrupted` (the run is
recorded as interrupted; its last checkpoint can be resumed); every collective has a timeout,
so a process never waits forever.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import torch
import torch.distributed as dist

from lstm_studio.core.errors import ConfigError, UserError
from lstm_studio.core.world import (
    StepFigures,
    metrics_from_tensor,
    metrics_to_tensor,
    peer_lost,
)

T = TypeVar("T")

TIMEOUT_ENV = "LSTM_STUDIO_DIST_TIMEOUT_S"
# A collective waits this long for the other processes (the main process validates alone at
# each epoch end while the others wait, so this bounds a validation too).
DEFAULT_TIMEOUT_S = 30 * 60
WORKER_ENV = ("RANK", "WORLD_SIZE")


def launched_by_torchrun() -> bool:
    """Whether this process is one of several that torchrun started."""
    return all(key in os.environ for key in WORKER_ENV)


def _timeout() -> timedelta:
    try:
        seconds = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    except ValueError:
        seconds = DEFAULT_TIMEOUT_S
    return timedelta(seconds=max(1.0, seconds))


def _wants_cuda(device: str | None) -> bool:
    name = (device or "cpu").lower()
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("Device cuda was asked for but no CUDA GPU is available; use cpu.")
        return True
    return name == "auto" and torch.cuda.is_available()


def start_world(device: str | None) -> DataParallel:
    """Join the process group torchrun's environment describes."""
    try:
        rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    except (KeyError, ValueError) as error:
        raise UserError("This process was not started by torchrun (RANK and WORLD_SIZE are "
                        "missing or not numbers).") from error
    if device is not None and device.lower() == "mps":
        raise ConfigError("Data-parallel training runs on CPUs (gloo) or CUDA GPUs (NCCL), "
                          "not on Apple's MPS.")
    if _wants_cuda(device):
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(f"Process {local_rank} on this machine needs its own GPU, but "
                              f"only {torch.cuda.device_count()} are visible; start at most "
                              "that many processes per machine.")
        where = torch.device("cuda", local_rank)
        torch.cuda.set_device(where)
        backend = "nccl"
    else:
        where, backend = torch.device("cpu"), "gloo"
    try:
        dist.init_process_group(backend, rank=rank, world_size=size, timeout=_timeout())
    except (RuntimeError, ValueError) as error:
        raise UserError(f"Training process {rank} could not join the others ({error}); check "
                        "that every machine can reach the main one on its port.") from error
    return DataParallel(rank, size, local_rank, where, backend)


def lost_peer(error: BaseException) -> bool:
    """Whether `error` comes from a collective that failed (another process is gone or did
    not answer in time)."""
    if isinstance(error, dist.DistError):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and any(
        mark in text for mark in ("Connection closed by peer", "Connection reset by peer",
                                  "gloo", "NCCL", "Timed out", "timed out", "Socket Timeout"))


class DataParallel:
    """The `World` (core/world.py) of one process among `size`."""

    def __init__(self, rank: int, size: int, local_rank: int, device: torch.device,
                 backend: str) -> None:
        self.rank, self.size, self.local_rank = rank, size, local_rank
        self.device = device
        self.backend = backend

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def _collective(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except RuntimeError as error:
            if lost_peer(error):
                raise peer_lost(self.rank, self.size, error) from error
            raise

    def lost_peer(self, error: BaseException) -> bool:
        return lost_peer(error)

    def plan(self, sampler):
        from lstm_studio.core.sampling import EvenShards

        return EvenShards(sampler, self.size)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        # The forward pass must go through the wrapper: DDP hooks every parameter the graph
        # uses (the CPU path's functional LSTM included) and averages their gradients.
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return self._collective(lambda: DistributedDataParallel(
            model, device_ids=ids))

    def shard(self, indices: list[int]) -> list[int]:
        return indices[self.rank::self.size]

    def loss_scale(self, count: int, planned: int) -> float:
        # DDP divides the summed gradients by `size`; this makes the result the gradient of
        # sum(loss_r * count_r) / planned, the whole batch's mean loss.
        return count * self.size / planned

    def step_figures(self, loss: torch.Tensor, grad_norm: torch.Tensor, correct: torch.Tensor,
                     count: int, planned: int, tokens: int) -> StepFigures:
        values = torch.stack([loss.float() * (count / planned), correct.float(),
                              torch.tensor(float(tokens), device=loss.device)])

        def reduce() -> list[float]:
            dist.all_reduce(values)
            return values.tolist()

        loss_value, correct_value, token_count = self._collective(reduce)
        # The gradients were averaged before clipping, so every process has the same norm.
        return StepFigures(loss_value, float(grad_norm), round(correct_value),
                           round(token_count))

    def agree(self, *flags: bool) -> tuple[bool, ...]:
        values = torch.tensor([1 if flag else 0 for flag in flags], dtype=torch.int32,
                              device=self.device)

        def reduce() -> list[int]:
            dist.all_reduce(values, op=dist.ReduceOp.MAX)
            return values.tolist()

        return tuple(bool(value) for value in self._collective(reduce))

    def share_metrics(self, metrics: dict) -> dict:
        values = metrics_to_tensor(metrics).to(self.device)
        self._collective(lambda: dist.broadcast(values, src=0))
        return metrics if self.is_main else metrics_from_tensor(values.cpu())

    def gather_rng(self, state: torch.Tensor) -> list[torch.Tensor]:
        local = state.to(self.device)
        parts = [torch.empty_like(local) for _ in range(self.size)]
        self._collective(lambda: dist.all_gather(parts, local))
        return [part.cpu() for part in parts]

    def close(self, together: bool = True) -> None:
        """Leave the group: `together` (after a run that ended well) waits for the others
        first, since a process that tore its connections down while another still used
        them could abort that one ("terminate called..."); after an error this process
        leaves at once, as the others may be inside another collective and would never
        meet it in a barrier (torchrun's agent then stops them)."""
        if not dist.is_initialized():
            return
        if together:
            with contextlib.suppress(RuntimeError):  # another process is gone already
                dist.barrier()
        dist.destroy_process_group()
