"""Bucketed batching: every sequence once, reproducible, little padding; LM prefix targets."""

from __future__ import annotations

import itertools
import random

from lstm_studio.core.batching import (
    IGNORE_INDEX,
    bucket_batches,
    collate,
    encode_classification,
    encode_lm,
)


def test_bucket_batches_cover_every_index_once_and_repeat_with_the_seed() -> None:
    rng = random.Random(5)
    lengths = [rng.randint(1, 300) for _ in range(1000)]
    batches = bucket_batches(lengths, 32, shuffle=True, seed=3, epoch=1)
    flat = sorted(i for batch in batches for i in batch)
    assert flat == list(range(1000))
    assert batches == bucket_batches(lengths, 32, shuffle=True, seed=3, epoch=1)
    assert batches != bucket_batches(lengths, 32, shuffle=True, seed=3, epoch=2)
    assert batches != bucket_batches(lengths, 32, shuffle=True, seed=4, epoch=1)


def test_bucketing_wastes_far_less_padding_than_random_batches() -> None:
    rng = random.Random(1)
    lengths = [rng.randint(5, 400) for _ in range(3200)]

    def padding(batches: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b)
                   for b in batches)

    order = list(range(len(lengths)))
    rng.shuffle(order)
    plain = [order[i:i + 32] for i in range(0, len(order), 32)]
    bucketed = bucket_batches(lengths, 32, shuffle=True, seed=0)
    assert padding(bucketed) * 10 < padding(plain)


def test_evaluation_batches_are_sorted_longest_first() -> None:
    lengths = [3, 9, 1, 7]
    assert bucket_batches(lengths, 2, shuffle=False) == [[1, 3], [0, 2]]


def test_lm_batches_make_every_prefix_predict_the_next_word() -> None:
    # The lecture's table for "trăm năm trong cõi người ta" (ids 4..9), with <bos>=2, <eos>=3.
    data = encode_lm([[4, 5, 6, 7, 8, 9]], bos_id=2, eos_id=3, max_len=None)
    batch = collate(data, [0])
    assert batch.ids.tolist() == [[2, 4, 5, 6, 7, 8, 9]]
    assert batch.targets.tolist() == [[4, 5, 6, 7, 8, 9, 3]]
    assert batch.tokens == 7


def test_long_lm_documents_are_chunked_without_losing_a_prediction() -> None:
    data = encode_lm([list(range(10, 20))], bos_id=2, eos_id=3, max_len=4)
    pairs = []
    for i in range(len(data)):
        batch = collate(data, [i])
        pairs += list(zip(batch.ids[0].tolist(), batch.targets[0].tolist(), strict=True))
    full = [2, *range(10, 20), 3]
    assert pairs == list(itertools.pairwise(full))
    assert max(data.input_lengths()) == 4


def test_padding_positions_are_ignored_targets() -> None:
    data = encode_lm([[4, 5], [4, 5, 6, 7]], bos_id=2, eos_id=3, max_len=None)
    batch = collate(data, [0, 1])
    assert batch.targets[0].tolist() == [4, 5, 3, IGNORE_INDEX, IGNORE_INDEX]
    assert batch.lengths.tolist() == [3, 5]


def test_classification_truncates_and_never_leaves_an_empty_sequence() -> None:
    data = encode_classification([[5, 6, 7, 8], []], [0, 1], max_len=2, unk_id=1)
    assert data.sequences == [[5, 6], [1]]
    batch = collate(data, [0, 1], pad_to=6)
    assert batch.ids.shape == (2, 6)
    assert batch.targets.tolist() == [0, 1]
