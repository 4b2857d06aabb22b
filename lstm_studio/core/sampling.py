"""Which training sequences go into which batch, epoch by epoch.

The trainer asks a `BatchSampler` for an epoch's batches and nothing else, so the plan of an
epoch can change without touching the loop: length buckets (the default, `BucketSampler`),
a shard of them per process for data-parallel training, or over-sampled small classes. A
sampler is a pure function of (its settings, epoch): resuming a run at epoch N gets the same
batches as the uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lstm_studio.core.batching import bucket_batches


class BatchSampler(Protocol):
    """`batches(epoch)` -> lists of sequence indices; the same epoch always gives the same."""

    def batches(self, epoch: int) -> list[list[int]]: ...


class BucketSampler:
    """Shuffled, length-bucketed batches (see `batching.bucket_batches`)."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self._last: tuple[int, list[list[int]]] | None = None

    def batches(self, epoch: int) -> list[list[int]]:
        # The trainer asks for an epoch's plan twice (its length, then its batches); on a
        # million documents each plan costs about a second, so the last one is kept (callers
        # build new lists from it, never change it).
        if self._last is None or self._last[0] != epoch:
            self._last = (epoch, bucket_batches(self.lengths, self.batch_size, True, self.seed,
                                                epoch))
        return self._last[1]


class EvenShards:
    """Another sampler's plan with every batch at least `parts` sequences long, so each of
    `parts` data-parallel processes gets a share of every batch: a shorter batch (at most the
    epoch's last) joins the one before it. A pure function of the epoch, like the plan."""

    def __init__(self, inner: BatchSampler, parts: int) -> None:
        self.inner = inner
        self.parts = max(1, int(parts))

    def batches(self, epoch: int) -> list[list[int]]:
        plan: list[list[int]] = []
        for batch in self.inner.batches(epoch):
            if len(batch) < self.parts and plan:
                plan[-1] = plan[-1] + list(batch)
            else:
                plan.append(list(batch))
        if plan and len(plan[0]) < self.parts and len(plan) > 1:
            plan[1] = plan[0] + plan[1]
            del plan[0]
        return plan
