"""word2vec on the user's own corpus (gensim, the optional `word2vec` extra).

Most users have no pretrained vectors for their language and segmentation; a skip-gram model
trained on their own training split (plus, optionally, unlabelled text of the same kind) gives
the embedding a start in which words used alike lie close together. Texts are tokenised with
the app's tokenizer, so the vectors match the vocabulary word for word.

gensim is LGPL-2.1 and, with SciPy, adds about 200 MB, so it is an optional extra that the
installer does not bundle (see docs/models.md); without it these functions raise a
`MissingExtra` error that says how to install it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_studio.core.atomic import atomic_write
from lstm_studio.core.errors import ConfigError, DataError, MissingExtra
from lstm_studio.core.progress import Progress
from lstm_studio.core.tokenize import tokenize

MAX_EXTRA_BYTES = 2 * 1024**3  # budget for the unlabelled text file


@dataclass
class Word2VecSettings:
    dim: int = 128
    window: int = 5
    min_count: int = 2
    epochs: int = 5
    skip_gram: bool = True
    seed: int = 0
    threads: int | None = None


def require_gensim() -> Any:
    try:
        from gensim.models import Word2Vec
    except ImportError as error:
        raise MissingExtra("Training word2vec needs the optional gensim package: "
                           "pip install 'lstm-studio[word2vec]'.") from error
    return Word2Vec


class _Sentences:
    """Re-iterable token lists (gensim reads the corpus once per epoch, plus once to count)."""

    def __init__(self, texts: Sequence[str], extra: Path | None) -> None:
        self.texts = texts
        self.extra = extra

    def __iter__(self) -> Iterator[list[str]]:
        for text in self.texts:
            tokens = tokenize(text)
            if tokens:
                yield tokens
        if self.extra is not None:
            with open(self.extra, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    tokens = tokenize(line)
                    if tokens:
                        yield tokens


def _check_extra(extra: str | os.PathLike[str] | None) -> Path | None:
    if extra is None:
        return None
    path = Path(extra)
    if not path.is_file():
        raise DataError(f"Unlabelled text file {path} does not exist.")
    size = path.stat().st_size
    if size > MAX_EXTRA_BYTES:
        raise DataError(f"{path.name} is {size / 1024**3:.1f} GB; the unlabelled text for "
                        f"word2vec may be at most {MAX_EXTRA_BYTES / 1024**3:.0f} GB.")
    return path


def train_word2vec(texts: Sequence[str], settings: Word2VecSettings | None = None,
                   extra: str | os.PathLike[str] | None = None,
                   progress: Progress | None = None) -> Any:
    """Train word2vec on `texts` (and `extra`, one text per line); returns gensim's
    KeyedVectors. Stops with `Cancelled` between epochs when `progress` is cancelled."""
    settings = settings or Word2VecSettings()
    if settings.dim < 1 or settings.epochs < 1 or settings.window < 1 or settings.min_count < 1:
        raise ConfigError("word2vec needs a dimension, window, epochs and minimum count of at "
                          "least 1.")
    word2vec = require_gensim()
    from gensim.models.callbacks import CallbackAny2Vec

    sentences = _Sentences(list(texts), _check_extra(extra))
    if not any(True for _ in sentences):
        raise DataError("There is no text to train word2vec on.")

    class _Watch(CallbackAny2Vec):  # type: ignore[misc]
        def __init__(self) -> None:
            self.epoch = 0

        def on_epoch_end(self, model: Any) -> None:
            self.epoch += 1
            if progress is not None:
                progress.update(self.epoch, settings.epochs, "Training word2vec")

    if progress is not None:
        progress.update(0, settings.epochs, "Training word2vec")
    model = word2vec(vector_size=settings.dim, window=settings.window,
                     min_count=settings.min_count, sg=1 if settings.skip_gram else 0,
                     seed=settings.seed, workers=max(1, settings.threads or os.cpu_count() or 1))
    model.build_vocab(sentences)
    if len(model.wv) == 0:
        raise DataError(f"No word occurs {settings.min_count} times or more; lower the "
                        "minimum count for word2vec.")
    # `_Watch` raises Cancelled between epochs (gensim calls it on this thread, after the
    # epoch's worker threads have finished), so a stop never leaves threads behind.
    model.train(sentences, total_examples=model.corpus_count, epochs=settings.epochs,
                callbacks=[_Watch()])
    return model.wv


def word_vectors(keyed: Any) -> Iterable[tuple[str, Any]]:
    """(word, vector) pairs of gensim KeyedVectors."""
    for index, word in enumerate(keyed.index_to_key):
        yield word, keyed.vectors[index]


def save_vec(keyed: Any, path: str | os.PathLike[str]) -> Path:
    """Write KeyedVectors as a word2vec text file (`.vec`), atomically; returns the path."""
    target = Path(path)
    vectors = keyed.vectors
    with atomic_write(target, "w") as handle:
        handle.write(f"{vectors.shape[0]} {vectors.shape[1]}\n")
        for word, vector in word_vectors(keyed):
            handle.write(word + " " + " ".join(f"{value:.6g}" for value in vector.tolist())
                         + "\n")
    return target
