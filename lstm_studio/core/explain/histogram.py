"""A histogram filled batch by batch in fixed memory, for values whose range is not known ahead.

Gates live in [0, 1] and h in [-1, 1], but a cell state (or a ReLU RNN's h) can be anything.
`StreamingHistogram` starts from the range it is given (or the first batch's) and, when a value
falls outside, doubles its width — merging neighbouring bins in pairs, so no count is ever
estimated or lost — until everything fits. It also keeps the exact count, mean, spread,
minimum and maximum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

BINS = 64  # even, so bins merge in pairs


@dataclass
class StreamingHistogram:
    low: float | None = None
    high: float | None = None
    bins: int = BINS

    def __post_init__(self) -> None:
        if self.bins % 2:
            raise ValueError("bins must be even")
        self.counts = np.zeros(self.bins, dtype=np.int64)
        self.count = 0
        self._sum = 0.0
        self._squares = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            return
        low, high = float(values.min()), float(values.max())
        if self.low is None or self.high is None:
            self.low, self.high = low, high if high > low else low + 1.0
        while low < self.low:
            self._grow(downwards=True)
        while high > self.high:  # a value on the top edge goes into the last bin
            self._grow(downwards=False)
        width = (self.high - self.low) / self.bins
        index = np.clip(((values - self.low) / width).astype(np.int64), 0, self.bins - 1)
        self.counts += np.bincount(index, minlength=self.bins)
        self.count += values.size
        self._sum += float(values.sum())
        self._squares += float((values * values).sum())
        self.minimum, self.maximum = min(self.minimum, low), max(self.maximum, high)

    def _grow(self, downwards: bool) -> None:
        """Double the range: pairs of bins merge into the half that keeps the old range."""
        assert self.low is not None and self.high is not None
        span = self.high - self.low
        merged = self.counts.reshape(-1, 2).sum(axis=1)
        empty = np.zeros(self.bins // 2, dtype=np.int64)
        if downwards:
            self.counts = np.concatenate([empty, merged])
            self.low -= span
        else:
            self.counts = np.concatenate([merged, empty])
            self.high += span

    @property
    def edges(self) -> np.ndarray:
        if self.low is None or self.high is None:
            return np.zeros(0)
        return np.linspace(self.low, self.high, self.bins + 1)

    @property
    def mean(self) -> float:
        return self._sum / self.count if self.count else math.nan

    @property
    def std(self) -> float:
        if not self.count:
            return math.nan
        return math.sqrt(max(self._squares / self.count - self.mean ** 2, 0.0))

    def trimmed(self) -> tuple[np.ndarray, np.ndarray]:
        """(edges, counts) without the empty bins at either end, for display."""
        nonzero = np.flatnonzero(self.counts)
        if nonzero.size == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        first, last = int(nonzero[0]), int(nonzero[-1])
        return self.edges[first:last + 2], self.counts[first:last + 1]

    def to_dict(self) -> dict[str, Any]:
        edges, counts = self.trimmed()
        return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
                "count": self.count, "mean": self.mean, "std": self.std,
                "min": self.minimum if self.count else None,
                "max": self.maximum if self.count else None}
