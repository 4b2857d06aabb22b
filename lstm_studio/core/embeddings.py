"""Pretrained word vectors in a model: coverage, initialisation (freezing: core/quality.py).

The vectors come from a file (core/vector_files.py streams word2vec/fastText text and binary
files) or from word2vec trained on the training text (core/word2vec.py), in vocabulary
order. `coverage` says how much of the vocabulary and of the running training text got a
vector; `initialise_embedding` copies them into the embedding layer, rows without a vector
keeping a random start with the spread of the found vectors. `FreezePretrainedRows`
(core/quality.py) keeps the rows that got a vector fixed for the first N epochs while the
others (and the rest of the model) learn. The vectors then live in the model file as
ordinary embedding weights (safetensors).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lstm_studio.core.vector_files import (
    EmbeddingError,
    Pretrained,
    VectorFileReport,
    _special,
    detect_format,
    fold,
    from_word_vectors,
    read_vectors,
)

__all__ = ["Coverage", "EmbeddingError", "Pretrained", "VectorFileReport", "coverage",
           "detect_format", "fold", "from_word_vectors", "initialise_embedding",
           "read_vectors", "token_counts"]

MISSING_EXAMPLES = 20


@dataclass
class Coverage:
    """How much of the vocabulary and of the running training text has a pretrained vector."""

    words: int  # vocabulary words (special tokens not counted)
    found_words: int
    tokens: int  # running tokens of the training texts
    found_tokens: int
    missing: list[str] = field(default_factory=list)  # most frequent words without a vector

    @property
    def vocab_share(self) -> float:
        return self.found_words / self.words if self.words else 0.0

    @property
    def token_share(self) -> float:
        return self.found_tokens / self.tokens if self.tokens else 0.0

    def describe(self) -> str:
        return (f"Pretrained vectors cover {self.found_words:,} of {self.words:,} vocabulary "
                f"words ({self.vocab_share:.1%}) and {self.token_share:.1%} of the running "
                "training tokens.")

    def to_dict(self) -> dict[str, Any]:
        return {"words": self.words, "found_words": self.found_words,
                "vocab_share": self.vocab_share, "tokens": self.tokens,
                "found_tokens": self.found_tokens, "token_share": self.token_share,
                "missing": list(self.missing)}


# --- coverage and use ------------------------------------------------------------------------

def coverage(pretrained: Pretrained, itos: list[str], token_counts: Mapping[str, int]
             ) -> Coverage:
    """Vocabulary share and running-token share (tokens of `token_counts`, the training
    split's, including those outside the vocabulary) that have a vector."""
    stoi = {word: i for i, word in enumerate(itos)}
    words = [i for i, word in enumerate(itos) if i >= 2 and not _special(word)]
    found = pretrained.found
    tokens = found_tokens = 0
    missing: Counter[str] = Counter()
    for word, count in token_counts.items():
        tokens += count
        row = stoi.get(word)
        if row is not None and found[row]:
            found_tokens += count
        else:
            missing[word] += count
    return Coverage(words=len(words), found_words=int(sum(bool(found[i]) for i in words)),
                    tokens=tokens, found_tokens=found_tokens,
                    missing=[word for word, _ in missing.most_common(MISSING_EXAMPLES)])


def initialise_embedding(embedding: Any, pretrained: Pretrained, seed: int = 0) -> None:
    """Copy the found vectors into `embedding` (an nn.Embedding of the same shape); rows
    without one get N(0, sd of the found values), the padding row stays zero."""
    import torch

    weight = embedding.weight
    if tuple(weight.shape) != tuple(pretrained.matrix.shape):
        raise EmbeddingError(f"The embedding is {tuple(weight.shape)} but the vectors are "
                             f"{tuple(pretrained.matrix.shape)}.")
    matrix = torch.from_numpy(pretrained.matrix)
    found = torch.from_numpy(pretrained.found)
    spread = float(matrix[found].std()) if int(found.sum()) > 1 else 0.1
    generator = torch.Generator().manual_seed(seed)
    start = torch.randn(matrix.shape, generator=generator) * (spread or 0.1)
    start[found] = matrix[found]
    padding = getattr(embedding, "padding_idx", None)
    if padding is not None:
        start[padding] = 0.0
    with torch.no_grad():
        weight.copy_(start.to(weight.device, weight.dtype))


def token_counts(texts: Iterable[str]) -> Counter[str]:
    from lstm_studio.core.tokenize import tokenize

    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokenize(text))
    return counts
