"""Language identification with langid's model, made fast enough for 50,000 reviews.

We use langid's own model and compute the same naive-Bayes scores and the same normalised
probability as `LanguageIdentifier(norm_probs=True).classify`, about five times faster:

* Features. langid counts its 7,480 byte n-grams (1 to 4 bytes) by running an automaton over
  the text one byte at a time in Python. We read the n-gram of every automaton state back out
  of the model once, then count a text's n-grams with numpy (all 1- to 4-byte windows,
  looked up in the sorted feature table). The count vector is exactly langid's (the tests
  compare them on real and random text).
* Scores. langid multiplies the full count vector by the 7,480 x 97 weight matrix, which makes
  numpy convert the whole float32 matrix to float64 on every call. A review uses a few hundred
  features, so we multiply only their rows. Skipped rows would add exact zeros, so scores
  differ from langid's by floating-point summation order only; on all 50,000 NTC-SCV
  documents the detected language and the keep/drop decision are the same as langid's.

Loading the model (base64 + bz2 + unpickling langid's bundled string) takes about a second, so
it is loaded once per process and handed to worker processes as plain arrays.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_studio.core.errors import ConfigError


@dataclass(frozen=True)
class ModelArrays:
    """langid's model as picklable arrays (the identifier object holds a closure)."""

    nb_ptc: Any  # np.ndarray [features, languages] float32: log P(feature | language)
    nb_pc: Any  # np.ndarray [languages]: log prior
    nb_classes: tuple[str, ...]
    # Feature lookup, built from langid's automaton by `_feature_tables`. For 1- and 2-byte
    # n-grams a direct table (n-gram as an integer -> feature, -1 if none); for 3 and 4 bytes
    # the sorted n-gram integers and the feature of each.
    direct: tuple[Any, Any]
    sorted_keys: tuple[Any, Any]
    sorted_features: tuple[Any, Any]


_model_lock = threading.Lock()
_model: ModelArrays | None = None


def load_model() -> ModelArrays:
    """langid's bundled model, decoded once per process."""
    global _model
    with _model_lock:
        if _model is None:
            from langid.langid import LanguageIdentifier
            from langid.langid import model as model_string

            ident = LanguageIdentifier.from_modelstring(model_string, norm_probs=True)
            grams = _feature_ngrams(ident.tk_nextmove, ident.tk_output, ident.nb_ptc.shape[0])
            _model = ModelArrays(ident.nb_ptc, ident.nb_pc, tuple(ident.nb_classes),
                                 *_lookup_tables(grams))
        return _model


MAX_NGRAM = 4


def _feature_ngrams(nextmove: Any, outputs: dict, features: int) -> list[bytes]:
    """Recover each feature's byte n-gram from langid's Aho-Corasick automaton.

    A state stands for the longest suffix of the text read so far that is a prefix of some
    feature; breadth-first search reaches it first along exactly that string. A state's outputs
    are the features that are suffixes of its string, and a feature's own string is the
    shortest of those.
    """
    moves = np.asarray(nextmove, dtype=np.int64).reshape(-1, 256)
    path: dict[int, bytes] = {0: b""}
    frontier = [0]
    while frontier:
        reached = []
        for state in frontier:
            row = moves[state]
            for byte in np.flatnonzero(row).tolist():
                target = int(row[byte])
                if target not in path:
                    path[target] = path[state] + bytes((byte,))
                    reached.append(target)
        frontier = reached
    grams: list[bytes | None] = [None] * features
    for state, produced in outputs.items():
        for feature in produced:
            current = grams[feature]
            if current is None or len(path[state]) < len(current):
                grams[feature] = path[state]
    if any(gram is None or not 0 < len(gram) <= MAX_NGRAM for gram in grams):
        raise RuntimeError("langid's model has features this reader does not understand")
    return grams  # type: ignore[return-value]


def _lookup_tables(grams: list[bytes]) -> tuple[tuple, tuple, tuple]:
    direct = []
    for length in (1, 2):
        table = np.full(256 ** length, -1, dtype=np.int32)
        for feature, gram in enumerate(grams):
            if len(gram) == length:
                table[int.from_bytes(gram, "big")] = feature
        direct.append(table)
    keys, features = [], []
    for length in (3, 4):
        pairs = sorted((int.from_bytes(gram, "big"), feature)
                       for feature, gram in enumerate(grams) if len(gram) == length)
        keys.append(np.array([key for key, _ in pairs], dtype=np.uint32))
        features.append(np.array([feature for _, feature in pairs], dtype=np.int32))
    return tuple(direct), tuple(keys), tuple(features)


def feature_counts(text: str, model: ModelArrays) -> np.ndarray:
    """How often each of langid's features occurs in `text` (langid's instance2fv)."""
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    features = model.nb_ptc.shape[0]
    found = []
    value = data.astype(np.uint32)  # value[i]: the n bytes starting at i, as an integer
    for length in range(1, min(MAX_NGRAM, data.size) + 1):
        if length > 1:
            value = (value[:-1] << np.uint32(8)) | data[length - 1:]
        if length <= 2:
            hits = model.direct[length - 1][value]
            found.append(hits[hits >= 0])
        else:
            keys = model.sorted_keys[length - 3]
            position = np.searchsorted(keys, value)
            position[position == keys.size] = 0
            found.append(model.sorted_features[length - 3][position[keys[position] == value]])
    if not found:
        return np.zeros(features, dtype=np.int64)
    return np.bincount(np.concatenate(found), minlength=features)


def install_model(model: ModelArrays) -> None:
    """Use an already decoded model (worker processes receive it from their parent)."""
    global _model
    with _model_lock:
        _model = model


def known_languages() -> tuple[str, ...]:
    return load_model().nb_classes


class LanguageDetector:
    """`detect(text) -> (language, probability)` as langid with norm_probs=True would say."""

    def __init__(self, candidates: Sequence[str] | None = None,
                 model: ModelArrays | None = None) -> None:
        model = model or load_model()
        classes = model.nb_classes
        if candidates:
            unknown = sorted(set(candidates) - set(classes))
            if unknown:
                raise ConfigError(
                    f"Unknown language code {', '.join(unknown)}: langid knows "
                    f"{len(classes)} ISO 639-1 codes such as vi, en, fr, zh."
                )
            mask = np.fromiter((name in set(candidates) for name in classes), dtype=bool)
            self.languages = tuple(name for name in classes if name in set(candidates))
            self._ptc = model.nb_ptc[:, mask]
            self._pc = model.nb_pc[mask]
        else:
            self.languages = classes
            self._ptc = model.nb_ptc
            self._pc = model.nb_pc
        self._model = model

    def scores(self, text: str) -> np.ndarray:
        """Unnormalised log-probabilities per language, as langid's nb_classprobs."""
        counts = feature_counts(text, self._model)
        present = np.flatnonzero(counts)
        return counts[present].astype(np.float64) @ self._ptc[present].astype(np.float64) \
            + self._pc

    def detect(self, text: str) -> tuple[str, float]:
        scores = self.scores(text)
        best = int(np.argmax(scores))
        with np.errstate(over="ignore"):
            probability = 1.0 / float(np.exp(scores - scores[best]).sum())
        return self.languages[best], probability
