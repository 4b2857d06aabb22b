"""The vocabulary: the lecture's index-based representation of text.

Every token gets an integer id. Ids 0 and 1 are always `<pad>` (filling short sequences in a
batch; the embedding keeps it at zero) and `<unk>` (any token not in the vocabulary); a
language model also gets `<bos>` and `<eos>` (ids 2 and 3) to mark where a text starts and
ends. The rest are ordered by frequency in the training texts, most frequent first, ties
broken alphabetically, so the same texts always give the same ids.

Build it from the training split only: counting validation or test texts would leak them
into the model's inputs and make the out-of-vocabulary rate look better than it is.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lstm_studio.core.config import VocabConfig, config_from_dict, config_to_dict
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.sorting import sorted_in_slices
from lstm_studio.core.tokenize import tokenize
from lstm_studio.core.wording import plural

PAD = "<pad>"
UNK = "<unk>"
BOS = "<bos>"
EOS = "<eos>"


class Vocabulary:
    def __init__(self, itos: Sequence[str], config: VocabConfig | None = None) -> None:
        self.config = config or VocabConfig()
        self.itos: list[str] = list(itos)
        if self.itos[:2] != [PAD, UNK]:
            raise ConfigError("A vocabulary must start with <pad> and <unk>.")
        self.stoi: dict[str, int] = {token: index for index, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ConfigError("A vocabulary lists the same token twice.")
        self.pad_id = 0
        self.unk_id = 1
        self.bos_id: int | None = self.stoi.get(BOS)
        self.eos_id: int | None = self.stoi.get(EOS)

    @classmethod
    def build(cls, texts: Iterable[str], config: VocabConfig | None = None) -> Vocabulary:
        """Count tokens in `texts` (the training split) and keep the frequent ones."""
        config = config or VocabConfig()
        if config.min_freq < 1:
            raise ConfigError("The minimum frequency must be at least 1.")
        if config.max_size is not None and config.max_size < 1:
            raise ConfigError("The maximum vocabulary size must be at least 1.")
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(tokenize(text))
        return cls.from_counts(counts, config)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], config: VocabConfig | None = None
                    ) -> Vocabulary:
        """The vocabulary of tokens counted elsewhere (the on-disk store counts with NumPy);
        the same rule as `build`."""
        config = config or VocabConfig()
        if config.min_freq < 1:
            raise ConfigError("The minimum frequency must be at least 1.")
        if config.max_size is not None and config.max_size < 1:
            raise ConfigError("The maximum vocabulary size must be at least 1.")
        specials = [PAD, UNK] + ([BOS, EOS] if config.lm_specials else [])
        skipped = set(specials)  # a literal "<unk>" in the text is not a new word
        kept = [(-count, token) for token, count in counts.items()
                if count >= config.min_freq and token not in skipped]
        # Never one sort of everything: for a million words it holds the GIL (and a window
        # waiting for it) for ~1 s. The first `room` by a heap, or all of them in slices.
        room = None if config.max_size is None else max(0, config.max_size - len(specials))
        if room is not None and room < len(kept):
            ranked = heapq.nsmallest(room, kept)
        else:
            ranked = [kept[i] for i in sorted_in_slices(list(range(len(kept))),
                                                        kept.__getitem__, False)]
        return cls(specials + [token for _, token in ranked], config)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode_tokens(self, tokens: Iterable[str]) -> list[int]:
        stoi, unk = self.stoi, self.unk_id
        return [stoi.get(token, unk) for token in tokens]

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`, unknown tokens as <unk>; no truncation, no <bos>/<eos>."""
        return self.encode_tokens(tokenize(text))

    def decode(self, ids: Iterable[int]) -> list[str]:
        size = len(self.itos)
        return [self.itos[i] if 0 <= i < size else UNK for i in ids]

    def pad(self, ids: Sequence[int], max_len: int) -> list[int]:
        """Cut `ids` to `max_len` or fill it up with <pad> to exactly that length."""
        if max_len < 0:
            raise ConfigError("The maximum length cannot be negative.")
        return list(ids[:max_len]) + [self.pad_id] * max(0, max_len - len(ids))

    def to_dict(self) -> dict[str, Any]:
        return {"itos": list(self.itos), "config": config_to_dict(self.config)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        return cls(data["itos"], config_from_dict(VocabConfig, data.get("config")))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocabulary({plural(len(self), 'token')})"


@dataclass
class VocabStats:
    size: int
    oov_rate: float  # share of validation tokens that map to <unk>
    coverage: float  # share of training tokens that are in the vocabulary
    coverage_curve: list[tuple[int, float]] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # training documents, in tokens
    suggested_max_len: int = 0  # p95 of training lengths

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "oov_rate": self.oov_rate, "coverage": self.coverage,
                "coverage_curve": [list(point) for point in self.coverage_curve],
                "suggested_max_len": self.suggested_max_len,
                "documents": len(self.lengths)}


def percentile(values: Sequence[int] | Any, fraction: float) -> int:
    """Nearest-rank percentile (a length that occurs in the data). A NumPy array is
    partitioned rather than sorted (the token store passes a million lengths)."""
    if len(values) == 0:
        return 0
    rank = max(1, math.ceil(fraction * len(values)))
    if hasattr(values, "dtype"):
        import numpy as np

        return int(np.partition(np.asarray(values), rank - 1)[rank - 1])
    return sorted(values)[rank - 1]


def vocabulary_stats(vocab: Vocabulary, train_texts: Iterable[str],
                     valid_texts: Iterable[str] = (), points: int = 40) -> VocabStats:
    """Size, out-of-vocabulary rate on validation, training coverage and a max-length hint.

    The coverage curve answers "how much of the training text would a vocabulary of the N most
    frequent words cover?" for N up to the number of distinct training words.
    """
    counts: Counter[str] = Counter()
    lengths = []
    for text in train_texts:
        tokens = tokenize(text)
        counts.update(tokens)
        lengths.append(len(tokens))
    covered = sum(count for token, count in counts.items() if token in vocab.stoi)
    valid_total = valid_unknown = 0
    for text in valid_texts:
        for token in tokenize(text):
            valid_total += 1
            valid_unknown += token not in vocab.stoi
    return stats_from_counts(vocab, sorted(counts.values(), reverse=True), covered,
                             valid_total, valid_unknown, lengths, points)


def stats_from_counts(vocab: Vocabulary, frequencies: Sequence[int], covered: int,
                      valid_total: int, valid_unknown: int, lengths: list[int],
                      points: int = 40) -> VocabStats:
    """The figures of `vocabulary_stats` from token counts made elsewhere (the on-disk store
    counts with NumPy), so both paths share one definition of every figure.

    `frequencies`: each distinct training token's count, most frequent first; `covered`: the
    training tokens in the vocabulary; `valid_total`/`valid_unknown`: validation tokens, all
    and those not in the vocabulary; `lengths`: training documents, in tokens."""
    total = sum(frequencies)
    return VocabStats(
        size=len(vocab),
        oov_rate=valid_unknown / valid_total if valid_total else 0.0,
        coverage=covered / total if total else 0.0,
        coverage_curve=_coverage_curve(frequencies, total, points,
                                       len(vocab.itos) - _words(vocab)),
        lengths=lengths,
        suggested_max_len=percentile(lengths, 0.95),
    )


def _words(vocab: Vocabulary) -> int:
    return sum(token not in (PAD, UNK, BOS, EOS) for token in vocab.itos)


def _coverage_curve(frequencies: Sequence[int], total: int, points: int,
                    specials: int) -> list[tuple[int, float]]:
    """[(vocabulary size including specials, coverage)] on a log scale of word counts;
    `frequencies` most frequent first."""
    if not frequencies or total == 0:
        return []
    sizes = sorted({max(1, round(len(frequencies) ** (i / max(1, points - 1))))
                    for i in range(points)} | {len(frequencies)})
    curve, running, taken = [], 0, 0
    for size in sizes:
        running += sum(frequencies[taken:size])
        taken = size
        curve.append((size + specials, running / total))
    return curve
