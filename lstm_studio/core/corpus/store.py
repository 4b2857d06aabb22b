"""The on-disk token store: a corpus as memory-mapped arrays, opened in milliseconds.

Why NumPy memmaps of flat arrays (and not SQLite, Arrow or HDF5): training reads one
document's token ids at a time by offset, which a flat array plus an offsets index answers
with one slice and no decoding; NumPy is already installed with torch, adds nothing to the
frozen app, and its raw files can be checked by size alone. A store folder holds:

    meta.json      what the store is (format version, key, counts, labels, sources, the
                   cleaning settings applied and its report); written last, so its presence
                   means the store is complete
    lexicon.txt    every distinct word, one per line, in order of first appearance; token
                   ids in tokens.u32 index this list (the vocabulary is chosen at training
                   time, so changing vocabulary settings reuses the store)
    tokens.u32     all documents' word ids, one after another
    offsets.i64    documents + 1 offsets into tokens.u32
    train_counts.i64  each lexicon word's count in the training split
    label.i32      label index (into meta "labels"), -1 when unlabelled
    split.u8       0 train, 1 valid, 2 test (the sources' split rule and any re-split applied)
    drop.u8        0 kept, 1 "empty", 2 "language": what the cleaning filters say; a dropped
                   document leaves training and validation but the test split keeps it
    source.u16     which source (index into meta "sources") the document came from
    line.i64, offset.i64, member.i32 + members.txt
                   where the document lives in its source, to read it again for display

A store is never trusted blindly: `open_store` checks the format version and that every
array has the length meta.json promises, and says what is wrong so the caller rebuilds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_studio.core.dataset import SPLITS, Document

# 2: abbreviations touching punctuation or digits expand when those go later (cleaned
# stores of version 1 hold the old tokens, so they are rebuilt).
STORE_VERSION = 2
DROP_REASONS: tuple[str, ...] = ("", "empty", "language")

# name -> (file, dtype) of the per-document arrays
DOC_ARRAYS: dict[str, tuple[str, str]] = {
    "label": ("label.i32", "<i4"),
    "split": ("split.u8", "u1"),
    "drop": ("drop.u8", "u1"),
    "source": ("source.u16", "<u2"),
    "line": ("line.i64", "<i8"),
    "offset": ("offset.i64", "<i8"),
    "member": ("member.i32", "<i4"),
}
TOKENS = ("tokens.u32", "<u4")
OFFSETS = ("offsets.i64", "<i8")
# Word counts of the training split (lexicon order), filtered as meta "train_counts_filtered"
# says: the vocabulary of a run that keeps the training split whole needs no counting pass.
TRAIN_COUNTS = ("train_counts.i64", "<i8")


class BrokenStore(Exception):
    """A store folder that cannot be used as it is (the caller rebuilds it)."""


def _memmap(path: Path, dtype: str, length: int) -> np.ndarray:
    expected = length * np.dtype(dtype).itemsize
    try:
        size = path.stat().st_size
    except OSError as error:
        raise BrokenStore(f"{path.name} is missing") from error
    if size != expected:
        raise BrokenStore(f"{path.name} holds {size:,} bytes instead of {expected:,}")
    if length == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(length,))


@dataclass
class TokenStore:
    """An opened store: read-only memory maps plus what meta.json says."""

    folder: Path
    meta: dict[str, Any]
    lexicon: list[str]
    tokens: np.ndarray
    offsets: np.ndarray
    arrays: dict[str, np.ndarray]
    counts: np.ndarray | None = None  # train_counts.i64, when written

    @property
    def key(self) -> str:
        return str(self.meta["key"])

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self, indices: np.ndarray | None = None) -> np.ndarray:
        """Tokens per document (of `indices`, or of all)."""
        if indices is None:
            return np.diff(self.offsets)
        return self.offsets[indices + 1] - self.offsets[indices]

    def token_ids(self, index: int) -> np.ndarray:
        """The document's word ids (lexicon indices)."""
        return self.tokens[int(self.offsets[index]):int(self.offsets[index + 1])]

    def words(self, index: int) -> list[str]:
        lexicon = self.lexicon
        return [lexicon[i] for i in self.token_ids(index).tolist()]

    def text(self, index: int) -> str:
        """The cleaned text as training saw it (its tokens joined by single spaces)."""
        return " ".join(self.words(index))

    def label(self, index: int) -> str | None:
        value = int(self.arrays["label"][index])
        return self.meta["labels"][value] if value >= 0 else None

    def split(self, index: int) -> str:
        return SPLITS[int(self.arrays["split"][index])]

    def where(self, index: int) -> str:
        """"reviews.jsonl:line 40" or "data.zip:train/pos/1.txt", as the readers name it."""
        source = self.meta["sources"][int(self.arrays["source"][index])]
        member = int(self.arrays["member"][index])
        name = Path(source["path"]).name
        if member >= 0:
            return f"{name}:{self.members()[member]}"
        line = int(self.arrays["line"][index])
        return f"{name}:line {line}" if line > 0 else name

    def document(self, index: int) -> Document:
        return Document(self.text(index), self.label(index), self.split(index),
                        self.where(index))

    _members: list[str] | None = None

    def members(self) -> list[str]:
        if self._members is None:
            path = self.folder / "members.txt"
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            self._members = text.split("\n")[:-1] if text else []
        return self._members

    def train_counts(self, filter_splits: Sequence[str]) -> np.ndarray | None:
        """How often each lexicon word occurs in the training split as `selected` gives it
        for these filters, when the store counted it while being written; else None."""
        filtered = "train" in filter_splits
        if self.counts is None or self.meta.get("train_counts_filtered") != filtered:
            return None
        return self.counts

    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.folder.iterdir() if path.is_file())


def open_store(folder: Path) -> TokenStore:
    """Open a complete store, or raise BrokenStore saying what is wrong with it."""
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BrokenStore("it is incomplete (no meta.json)") from error
    except (OSError, ValueError) as error:
        raise BrokenStore(f"its meta.json cannot be read ({error})") from error
    if not isinstance(meta, dict) or meta.get("version") != STORE_VERSION:
        found = meta.get("version") if isinstance(meta, dict) else None
        raise BrokenStore(f"it was written in store format {found}, not {STORE_VERSION}")
    try:
        documents, tokens = int(meta["documents"]), int(meta["tokens"])
        words = int(meta["lexicon_size"])
    except (KeyError, TypeError, ValueError) as error:
        raise BrokenStore("its meta.json lacks its counts") from error
    offsets = _memmap(folder / OFFSETS[0], OFFSETS[1], documents + 1)
    if documents and (int(offsets[0]) != 0 or int(offsets[-1]) != tokens):
        raise BrokenStore("its offsets do not match its tokens")
    arrays = {name: _memmap(folder / file, dtype, documents)
              for name, (file, dtype) in DOC_ARRAYS.items()}
    token_ids = _memmap(folder / TOKENS[0], TOKENS[1], tokens)
    try:
        lexicon_text = (folder / "lexicon.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BrokenStore("its lexicon cannot be read") from error
    lexicon = lexicon_text.split("\n")[:-1] if lexicon_text else []
    if len(lexicon) != words:
        raise BrokenStore(f"its lexicon has {len(lexicon):,} words instead of {words:,}")
    counts = None
    if "train_counts_filtered" in meta:
        counts = _memmap(folder / TRAIN_COUNTS[0], TRAIN_COUNTS[1], words)
    return TokenStore(folder, meta, lexicon, token_ids, offsets, arrays, counts)


COUNT_BLOCK = 200_000  # documents whose tokens are counted at once (bounds the token mask)


def count_tokens(tokens: np.ndarray, offsets: np.ndarray, wanted: np.ndarray,
                 words: int) -> np.ndarray:
    """How often each word id occurs in the documents where `wanted` (one bool per document)
    is true, a block of documents at a time."""
    counts = np.zeros(words, dtype=np.int64)
    lengths = np.diff(offsets)
    for start in range(0, len(wanted), COUNT_BLOCK):
        stop = min(len(wanted), start + COUNT_BLOCK)
        block = wanted[start:stop]
        if not block.any():
            continue
        first, last = int(offsets[start]), int(offsets[stop])
        mask = np.repeat(block, lengths[start:stop])
        counts += np.bincount(tokens[first:last][mask], minlength=words)
    return counts


def selected(store: TokenStore, split: str, filter_splits: Sequence[str]) -> np.ndarray:
    """Indices of a split's documents, those the cleaning filters dropped left out where the
    filters apply (never from the test split: it is scored whole)."""
    mask = store.arrays["split"] == SPLITS.index(split)
    if split in filter_splits and split != "test":
        mask &= store.arrays["drop"] == 0
    return np.flatnonzero(mask)
