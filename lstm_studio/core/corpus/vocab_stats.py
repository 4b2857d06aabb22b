"""The Vocabulary tab's figures for a corpus browsed from its token store, without its texts.

`vocabulary_stats` tokenises every training and validation text; for a million documents
that is the whole corpus in memory and minutes of work. The store already holds each
document's word ids, so the same figures come from word counts (NumPy over the memory maps)
and the offsets: the vocabulary by `store_vocabulary` (the rule of `Vocabulary.build`), the
figures by `stats_from_counts` (the definitions `vocabulary_stats` uses).

Which documents count is what the in-memory tab takes from the same data: the training split
(all documents when there is none) and the validation split, less what the cleaning filters
dropped from them. There is no hold-out here, as there is none in the tab: a corpus without
a validation split shows an OOV rate of 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lstm_studio.core.config import VocabConfig
from lstm_studio.core.corpus.store import TokenStore, selected
from lstm_studio.core.corpus.training import count_words, store_vocabulary
from lstm_studio.core.dataset import SPLITS
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.vocab import VocabStats, Vocabulary, stats_from_counts


def vocab_documents(store: TokenStore, filter_splits: Sequence[str]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) document indices as the tab picks them: the training split,
    or every document kept when the corpus has none, and the validation split."""
    train = selected(store, "train", filter_splits)
    if not len(train):
        train = np.sort(np.concatenate([selected(store, split, filter_splits)
                                        for split in SPLITS]))
    return train, selected(store, "valid", filter_splits)


def store_vocabulary_stats(store: TokenStore, config: VocabConfig,
                           filter_splits: Sequence[str], points: int = 40,
                           progress: Progress | None = None) -> tuple[Vocabulary, VocabStats]:
    """The vocabulary and `vocabulary_stats` of the documents `vocab_documents` picks."""
    train, valid = vocab_documents(store, filter_splits)
    report(progress, 0, 3, "Counting tokens")
    counts = _train_counts(store, train, filter_splits)
    vocab, _ = store_vocabulary(store, train, config, counts)
    report(progress, 1, 3, "Measuring coverage")
    known = _in_vocabulary(store, vocab)
    valid_counts = count_words(store, valid)
    report(progress, 2, 3, "Measuring coverage")
    frequencies = np.sort(counts[counts > 0])[::-1]
    stats = stats_from_counts(vocab, frequencies.tolist(), int(counts[known].sum()),
                              int(valid_counts.sum()), int(valid_counts[~known].sum()),
                              store.lengths(train).tolist(), points)
    report(progress, 3, 3, "Done")
    return vocab, stats


def train_label_counts(store: TokenStore, filter_splits: Sequence[str]) -> dict[str, int]:
    """Training documents per label (the unlabelled left out), for the imbalance note."""
    values = np.asarray(store.arrays["label"][selected(store, "train", filter_splits)],
                        dtype=np.int64)
    counts = np.bincount(values[values >= 0], minlength=len(store.labels))
    return {name: int(n) for name, n in zip(store.labels, counts.tolist(), strict=True) if n}


def _train_counts(store: TokenStore, train: np.ndarray,
                  filter_splits: Sequence[str]) -> np.ndarray:
    """Word counts of `train`: those the store wrote when `train` is its training split as
    `selected` gives it (no counting pass), else counted now."""
    written = store.train_counts(filter_splits)
    if written is not None and np.array_equal(train, selected(store, "train", filter_splits)):
        return np.asarray(written)
    return count_words(store, train)


def _in_vocabulary(store: TokenStore, vocab: Vocabulary) -> np.ndarray:
    """One bool per lexicon word: is it in the vocabulary? (`token in vocab.stoi`, as
    `vocabulary_stats` asks it: a literal "<unk>" in the text counts as known there too.)"""
    stoi = vocab.stoi
    return np.fromiter((word in stoi for word in store.lexicon), dtype=bool,
                       count=len(store.lexicon))
