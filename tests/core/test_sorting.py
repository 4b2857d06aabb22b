"""`sorted_in_slices`: the sort the big table and the store's text order use (slices merged in
Python, so a worker never holds the GIL for long) gives what one stable sort gives."""

from __future__ import annotations

import pytest

from lstm_studio.core.errors import Cancelled
from lstm_studio.core.progress import Progress
from lstm_studio.core.sorting import SLICE, sorted_in_slices


@pytest.mark.parametrize("descending", [False, True])
def test_sorting_in_slices_is_sorting(descending: bool) -> None:
    keys = [(i * 7919) % 97 for i in range(3 * SLICE + 123)]  # many ties: stability shows
    rows = list(range(len(keys)))[::-1]
    assert (sorted_in_slices(rows, keys.__getitem__, descending)
            == sorted(rows, key=keys.__getitem__, reverse=descending))


def test_a_cancel_stops_the_merge_between_steps() -> None:
    keys = list(range(3 * SLICE))[::-1]
    progress = Progress(min_interval=0)
    seen: list[int] = []

    def tick(done: int) -> None:
        seen.append(done)
        if len(seen) == 5:  # inside the merge: three slices were sorted first
            progress.cancel()
        progress.update(done, len(keys))

    with pytest.raises(Cancelled):
        sorted_in_slices(list(range(len(keys))), keys.__getitem__, False, tick)
    assert len(seen) == 5
