"""Training straight from the token store: the DataPlan of core/data_plan.py over memory maps.

Nothing here holds the corpus: splits are index arrays, the vocabulary is counted with
NumPy over the training documents' token ids, and the encoded sets slice the memory map
when the trainer asks for a batch. Resident memory is then the model, the batch and a few
bytes per document (lengths, targets, batch plans), not the texts.

The rules are those of `plan_in_memory`, applied to positions instead of Documents (the
hold-out uses the same `holdout_positions`), so on the same data both give the same
vocabulary, the same encoded sequences in the same order, and so the same batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import overload

import numpy as np

from lstm_studio.core.batching import EncodedSet
from lstm_studio.core.config import TrainConfig, VocabConfig
from lstm_studio.core.corpus.store import TokenStore, count_tokens, selected
from lstm_studio.core.data_plan import (
    HOLDOUT_FRACTION,
    DataPlan,
    check_labels,
    holdout_from_groups,
    holdout_note,
    max_len_note,
    unscored_note,
)
from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.vocab import Vocabulary, percentile


class StoredDocuments(Sequence[Document]):
    """Documents of the store at `indices`, built when asked for (reports show a few)."""

    def __init__(self, store: TokenStore, indices: np.ndarray, split: str | None = None
                 ) -> None:
        self.store, self.indices, self.split = store, indices, split

    def __len__(self) -> int:
        return len(self.indices)

    @overload
    def __getitem__(self, i: int) -> Document: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Document]: ...

    def __getitem__(self, i: int | slice) -> Document | Sequence[Document]:
        if isinstance(i, slice):
            return StoredDocuments(self.store, self.indices[i], self.split)
        doc = self.store.document(int(self.indices[i]))
        return replace(doc, split=self.split) if self.split else doc


class StoredTexts(Sequence[str]):
    """The cleaned texts at `indices` (word2vec and embedding coverage read them once)."""

    def __init__(self, store: TokenStore, indices: np.ndarray) -> None:
        self.store, self.indices = store, indices

    def __len__(self) -> int:
        return len(self.indices)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...

    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return StoredTexts(self.store, self.indices[i])
        return self.store.text(int(self.indices[i]))


class StoredSequences(Sequence[list[int]]):
    """Vocabulary ids of documents, cut to `max_len` as `classifier_ids` does (an empty
    document reads one <unk>); or, for a language model, `<bos> ... <eos>` chunks."""

    def __init__(self, store: TokenStore, docs: np.ndarray, starts: np.ndarray | None,
                 remap: np.ndarray, width: int | None, unk: int,
                 bos: int | None = None, eos: int | None = None) -> None:
        self.store, self.docs, self.starts = store, docs, starts
        self.remap, self.width, self.unk, self.bos, self.eos = remap, width, unk, bos, eos

    def __len__(self) -> int:
        return len(self.docs)

    def __getitem__(self, i: int) -> list[int]:  # type: ignore[override]
        ids = self.remap[self.store.token_ids(int(self.docs[i]))]
        if self.starts is None:  # a classifier's input
            return (ids[:self.width] if self.width else ids).tolist() or [self.unk]
        full = [self.bos, *ids.tolist(), self.eos]
        start = int(self.starts[i])
        return full[start:start + (self.width or len(full)) + 1]  # type: ignore[return-value]


def count_words(store: TokenStore, indices: np.ndarray) -> np.ndarray:
    """How often each lexicon word occurs in the documents at `indices`."""
    wanted = np.zeros(len(store), dtype=bool)
    wanted[indices] = True
    return count_tokens(store.tokens, store.offsets, wanted, len(store.lexicon))


def store_vocabulary(store: TokenStore, indices: np.ndarray, config: VocabConfig,
                     counts: np.ndarray | None = None) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary of the documents at `indices` (the rule of `Vocabulary.build`), or of
    words counted already (`counts`), and the map from lexicon ids to its ids (unknown words
    to <unk>)."""
    if counts is None:
        counts = count_words(store, indices)
    present = np.flatnonzero(counts)
    lexicon = store.lexicon
    vocab = Vocabulary.from_counts({lexicon[i]: int(counts[i]) for i in present.tolist()},
                                   config)
    remap = np.full(len(lexicon), vocab.unk_id, dtype=np.int64)
    stoi = vocab.stoi
    for i in present.tolist():
        found = stoi.get(lexicon[i])
        if found is not None:
            remap[i] = found
    return vocab, remap


def lm_chunks(lengths: np.ndarray, width: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(document position, start) of every chunk `encode_lm` cuts: a document of n words is
    `<bos> w1..wn <eos>`, chunks of `width` inputs overlapping by one id."""
    full = lengths.astype(np.int64) + 2
    step = np.full_like(full, width) if width else full
    chunks = -(-(full - 1) // step)  # at least 1: full - 1 >= 1
    positions = np.repeat(np.arange(len(lengths)), chunks)
    first = np.cumsum(chunks) - chunks
    starts = (np.arange(int(chunks.sum())) - np.repeat(first, chunks)) * np.repeat(step, chunks)
    return positions, starts


def plan_from_store(store: TokenStore, vocab_config: VocabConfig, train_config: TrainConfig,
                    task: str, filter_splits: Sequence[str]) -> DataPlan:
    """The DataPlan of `plan_in_memory`, for a store (see the module doc)."""
    notes: list[str] = []
    label_array = store.arrays["label"]
    names = store.labels

    def labels_of(indices: np.ndarray) -> list[str | None]:
        values = label_array[indices]
        return [names[v] if v >= 0 else None for v in values.tolist()]

    train = selected(store, "train", filter_splits)
    # Word counts of this training split, when the store counted them as it was written
    # (the counting pass over a million documents costs about a second at every start).
    counts = store.train_counts(filter_splits)
    labels = check_labels(labels_of(train), task)
    known = np.asarray([names.index(label) for label in labels], dtype=np.int64)
    valid = selected(store, "valid", filter_splits)
    if task == "classify":
        valid = valid[np.isin(label_array[valid], known)]
    if not len(valid):
        train_labels = label_array[train]
        groups = {(names[value] if value >= 0 else None):
                  np.flatnonzero(train_labels == value).tolist()
                  for value in np.unique(train_labels).tolist()}
        keep, held = holdout_from_groups(groups, HOLDOUT_FRACTION, train_config.seed)
        train, valid = train[np.asarray(keep, dtype=np.int64)], train[
            np.asarray(held, dtype=np.int64)]
        if counts is not None:
            counts = counts - count_words(store, valid)
        notes.append(holdout_note(len(valid), train_config.seed))
        if not len(train) or not len(valid):
            raise DataError("Too few documents to hold out a validation split; add more data.")
    test = selected(store, "test", filter_splits)
    if task == "classify":
        scorable = test[np.isin(label_array[test], known)]
        if len(scorable) < len(test):
            notes.append(unscored_note(len(test) - len(scorable)))
        test = scorable

    vocab_config = replace(vocab_config, lm_specials=vocab_config.lm_specials or task == "lm")
    vocab, remap = store_vocabulary(store, train, vocab_config, counts)
    max_len = train_config.max_len or vocab_config.max_len
    if not max_len:
        max_len = max(1, percentile(store.lengths(train), 0.95))
        notes.append(max_len_note(max_len))
    splits = {"train": train, "valid": valid, "test": test}
    label_index = {names.index(label): i for i, label in enumerate(labels)}

    def encode(split: str) -> EncodedSet | None:
        indices = splits[split]
        if split == "test" and not len(indices):
            return None
        lengths = store.lengths(indices)
        if task == "lm":
            positions, starts = lm_chunks(lengths, max_len)
            assert vocab.bos_id is not None and vocab.eos_id is not None
            full = lengths[positions] + 2
            inputs = np.minimum(full - starts, max_len + 1) - 1
            sequences = StoredSequences(store, indices[positions], starts, remap, max_len,
                                        vocab.unk_id, vocab.bos_id, vocab.eos_id)
            return EncodedSet("lm", sequences, None, positions.tolist(), inputs.tolist())
        inputs = np.maximum(1, np.minimum(lengths, max_len))
        targets = [label_index[v] for v in label_array[indices].tolist()]
        sequences = StoredSequences(store, indices, None, remap, max_len, vocab.unk_id)
        return EncodedSet("classify", sequences, targets, list(range(len(indices))),
                          inputs.tolist())

    def fingerprint() -> str:
        digest = hashlib.sha256(f"store {store.key}\n".encode())
        for indices in (train, valid, test):
            digest.update(np.ascontiguousarray(indices, dtype=np.int64).tobytes())
        digest.update("\n".join(vocab.itos).encode())
        return digest.hexdigest()[:16]

    return DataPlan(task, labels, vocab, vocab_config, max_len,
                    StoredDocuments(store, train, "train"), StoredDocuments(store, valid, "valid"),
                    StoredDocuments(store, test, "test"), StoredTexts(store, train), encode,
                    fingerprint, notes)
