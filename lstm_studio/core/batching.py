"""Turn encoded documents into batches that waste little time on padding.

Documents are encoded to id lists once. Each epoch, `bucket_batches` shuffles them with the
seed, cuts the shuffled order into pools of many batches, sorts each pool by length and slices
it into batches, then shuffles the batch order: batches hold sequences of similar length (so
packed RNN steps are nearly full) while every epoch still sees a fresh, reproducible order.

Language-model batches follow the lecture's "trăm năm trong cõi người ta" table: a document
becomes `<bos> w1 ... wn <eos>`, the input is everything but the last id and the target is
everything but the first, so every prefix predicts its next word.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lstm_studio.core.prediction import classifier_ids

if TYPE_CHECKING:  # torch is imported where tensors are made: planning data needs no torch
    import torch

IGNORE_INDEX = -100  # cross_entropy skips these target positions (padding in LM batches)


@dataclass
class EncodedSet:
    """Id sequences (each at least one id long) plus what the model must predict."""

    task: str  # "classify" or "lm"
    # classify: the input ids; lm: <bos> ... <eos> chunks. Any sequence of id lists: the
    # on-disk store gives one that slices its memory map on demand (core/corpus/training.py).
    sequences: Sequence[list[int]]
    targets: list[int] | None = None  # classify: label index per sequence
    doc_index: list[int] | None = None  # document each sequence came from
    lengths: list[int] | None = None  # input lengths, when known without reading sequences

    def __len__(self) -> int:
        return len(self.sequences)

    def input_lengths(self) -> list[int]:
        if self.lengths is not None:
            return self.lengths
        if self.task == "lm":
            return [len(seq) - 1 for seq in self.sequences]
        return [len(seq) for seq in self.sequences]

    def tokens(self) -> int:
        return sum(self.input_lengths())


@dataclass
class Batch:
    ids: torch.Tensor  # [B, T] long, padded with 0
    lengths: torch.Tensor  # [B] long, on the CPU (pack_padded_sequence wants it there)
    targets: torch.Tensor  # classify: [B]; lm: [B, T] with IGNORE_INDEX at padding
    indices: list[int]  # positions in the EncodedSet
    tokens: int  # real input tokens in the batch


def encode_classification(token_ids: Sequence[Sequence[int]], label_index: Sequence[int],
                          max_len: int | None, unk_id: int = 1) -> EncodedSet:
    """Truncate to `max_len` (keeping the start); an empty document becomes one <unk>."""
    sequences = [classifier_ids(ids, max_len, unk_id) for ids in token_ids]
    return EncodedSet("classify", sequences, list(label_index), list(range(len(sequences))))


def encode_lm(token_ids: Sequence[Sequence[int]], bos_id: int, eos_id: int,
              max_len: int | None) -> EncodedSet:
    """Wrap each document in <bos>/<eos>; split long ones into chunks of `max_len` inputs.

    Chunks overlap by one id so no next-word prediction is lost at a chunk border.
    """
    sequences: list[list[int]] = []
    doc_index: list[int] = []
    for index, ids in enumerate(token_ids):
        full = [bos_id, *ids, eos_id]
        step = max_len if max_len and max_len > 0 else len(full)
        start = 0
        while start < len(full) - 1:
            sequences.append(full[start:start + step + 1])
            doc_index.append(index)
            start += step
    return EncodedSet("lm", sequences, None, doc_index)


def bucket_batches(lengths: Sequence[int], batch_size: int, shuffle: bool = True,
                   seed: int = 0, epoch: int = 0, pool_batches: int = 50) -> list[list[int]]:
    """Index lists of similar-length sequences; same (seed, epoch) gives the same batches.

    Without shuffling (evaluation) the whole set is sorted by length, longest first.
    """
    batch_size = max(1, int(batch_size))
    order = list(range(len(lengths)))
    if not shuffle:
        order.sort(key=lambda i: -lengths[i])
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng = random.Random(f"{seed}:{epoch}")
    rng.shuffle(order)
    pool = batch_size * max(1, pool_batches)
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def collate(data: EncodedSet, indices: Sequence[int], device: torch.device | str = "cpu",
            pad_to: int | None = None) -> Batch:
    """Pad the chosen sequences into tensors; `pad_to` forces a fixed width (benchmarks)."""
    import torch

    seqs = [data.sequences[i] for i in indices]
    if data.task == "lm":
        inputs = [seq[:-1] for seq in seqs]
        outputs = [seq[1:] for seq in seqs]
    else:
        inputs, outputs = seqs, []
    lengths = [len(seq) for seq in inputs]
    width = max(lengths) if pad_to is None else max(pad_to, max(lengths))
    ids = torch.tensor([seq + [0] * (width - len(seq)) for seq in inputs], dtype=torch.long)
    if data.task == "lm":
        targets = torch.tensor([seq + [IGNORE_INDEX] * (width - len(seq)) for seq in outputs],
                               dtype=torch.long)
    else:
        assert data.targets is not None
        targets = torch.tensor([data.targets[i] for i in indices], dtype=torch.long)
    return Batch(ids.to(device), torch.tensor(lengths, dtype=torch.long), targets.to(device),
                 list(indices), sum(lengths))


def iterate_batches(data: EncodedSet, batch_size: int, shuffle: bool, seed: int = 0,
                    epoch: int = 0, device: torch.device | str = "cpu"):
    """Yield collated batches in bucketed order."""
    for indices in bucket_batches(data.input_lengths(), batch_size, shuffle, seed, epoch):
        yield collate(data, indices, device)
