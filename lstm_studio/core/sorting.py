"""Sorting a long list in a worker thread without holding the interpreter lock for long.

One C-level `sorted()` of 200,000 texts holds the GIL for ~200 ms, and the GUI thread, which
needs the GIL for every Python call it makes (each table cell it paints), waits that long.
`sorted_in_slices` sorts slices of `SLICE` items (a few ms each) and merges them with a
Python-level heap merge, which hands the GIL over at the switch interval; its `tick` between
steps is where a worker reports progress, notices a cancel and yields to a painting window
(`core.progress.foreground`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

SLICE = 10_000  # items sorted by one C call
MERGE_STEP = 1_000  # items merged between ticks


def sorted_in_slices(rows: list[int], key: Callable[[int], Any], descending: bool,
                     tick: Callable[[int], None] | None = None) -> list[int]:
    """`sorted(rows, key=key, reverse=descending)`, stable, with no single C call longer than
    sorting SLICE items: slices are sorted, then merged by a Python-level heap merge;
    `tick(done)` is called between steps (a cancelled worker's progress raises there)."""
    if len(rows) <= SLICE:
        return sorted(rows, key=key, reverse=descending)
    slices = []
    for start in range(0, len(rows), SLICE):
        slices.append(sorted(rows[start:start + SLICE], key=key, reverse=descending))
        if tick is not None:
            tick(start // 2)
    merged: list[int] = []
    for row in heapq.merge(*slices, key=key, reverse=descending):
        merged.append(row)
        if tick is not None and len(merged) % MERGE_STEP == 0:
            tick((len(rows) + len(merged)) // 2)
    return merged
