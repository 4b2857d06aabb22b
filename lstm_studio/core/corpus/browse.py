"""Browsing a token store without loading it: the window's view of a corpus too big to hold.

`StoreDataset` is a `Dataset` whose documents are built from the store when asked for, with
the whole-corpus questions a Dataset answers (labels, split counts, a split's documents)
answered from the store's arrays instead of by visiting every document. `StoreRows` is what
a table needs: the number of documents, one document, its preview and length, and the rows
that match a filter in a chosen order, all computed with NumPy on the memory maps, a block
of documents at a time so that a cancelled query stops between blocks.

Search in a store looks for words, not substrings of the whole text: each word typed is
matched against the store's lexicon (a substring of a word counts, case-insensitively) and a
document matches when it holds a matching word for every word typed. The text is not kept
anywhere else, so this is what a corpus of a million documents can answer in a second.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from lstm_studio.core.corpus.store import COUNT_BLOCK, DROP_REASONS, TokenStore, count_tokens
from lstm_studio.core.corpus.stream import Position, fetch_text
from lstm_studio.core.corpus.training import StoredDocuments
from lstm_studio.core.dataset import SPLITS, Dataset, Document, SourceInfo
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.segmentation import looks_segmented
from lstm_studio.core.sorting import sorted_in_slices

if TYPE_CHECKING:
    from lstm_studio.core.summary import DatasetSummary

PREVIEW_WORDS = 40  # words of a document shown in a table row
LEXICON_STEP = 20_000  # lexicon entries lowered between progress checks
SORT_COLUMNS = ("index", "text", "label", "split", "length", "source")


def store_sources(store: TokenStore) -> list[SourceInfo]:
    """The sources as the Data tab lists them, from what the store recorded."""
    return [SourceInfo(path=str(item.get("given") or item["path"]), kind=str(item["kind"]),
                       documents=int(item["documents"]),
                       split_override=item.get("split_override"),
                       notes=tuple(item.get("notes") or ()))
            for item in store.meta["sources"]]


class StoreDataset(Dataset):
    """The documents of a store at `indices` (all of them by default), built when read."""

    def __init__(self, store: TokenStore, indices: np.ndarray | None = None) -> None:
        if indices is None:
            indices = np.arange(len(store), dtype=np.int64)
        super().__init__(documents=StoredDocuments(store, indices), sources=store_sources(store))
        self.store = store
        self.indices = indices

    @property
    def labelled(self) -> bool:
        return bool(len(self.indices)) and bool((self._labels >= 0).any())

    @cached_property
    def _labels(self) -> np.ndarray:
        return np.asarray(self.store.arrays["label"][self.indices])

    @cached_property
    def _splits(self) -> np.ndarray:
        return np.asarray(self.store.arrays["split"][self.indices])

    def labels(self) -> list[str]:
        names = self.store.labels
        return sorted(names[i] for i in np.unique(self._labels) if i >= 0)

    def split(self, name: str) -> Sequence[Document]:
        return StoredDocuments(self.store, self.indices[self._splits == SPLITS.index(name)])

    def split_counts(self) -> dict[str, Counter]:
        names = self.store.labels
        counts: dict[str, Counter] = {}
        for code, split in enumerate(SPLITS):
            labels = self._labels[self._splits == code]
            if not len(labels):
                continue
            values, numbers = np.unique(labels, return_counts=True)
            counts[split] = Counter({(names[v] if v >= 0 else ""): int(n)
                                     for v, n in zip(values.tolist(), numbers.tolist(),
                                                     strict=True)})
        return counts


def kept_dataset(store: TokenStore) -> StoreDataset:
    """The documents training uses: those the cleaning filters kept, the test split whole
    (the rule of `selected`, in document order)."""
    filtered = [SPLITS.index(name) for name in store_filtered_splits(store) if name != "test"]
    split, drop = store.arrays["split"], store.arrays["drop"]
    dropped = np.isin(split, filtered) & (drop != 0)
    return StoreDataset(store, np.flatnonzero(~dropped))


def store_filtered_splits(store: TokenStore) -> list[str]:
    return list((store.meta.get("cleaning") or {}).get("filtered_splits", []))


def dropped_indices(store: TokenStore) -> np.ndarray:
    """Documents the cleaning filters dropped from a split they apply to."""
    filtered = [SPLITS.index(name) for name in store_filtered_splits(store) if name != "test"]
    return np.flatnonzero(np.isin(store.arrays["split"], filtered)
                          & (store.arrays["drop"] != 0))


def drop_reason(store: TokenStore, index: int) -> str:
    return DROP_REASONS[int(store.arrays["drop"][index])]


def original_text(store: TokenStore, index: int) -> str:
    """The document as its source holds it, read again from its recorded position."""
    from lstm_studio.core.config import DataConfig, config_from_dict

    source = store.meta["sources"][int(store.arrays["source"][index])]
    member = int(store.arrays["member"][index])
    position = Position(source=str(source["path"]),
                        member=store.members()[member] if member >= 0 else None,
                        offset=int(store.arrays["offset"][index]),
                        line=int(store.arrays["line"][index]))
    config = config_from_dict(DataConfig, store.meta.get("data_config") or {})
    return fetch_text(position, config)


class StoreRows:
    """A table's view of a store: documents by number, and the rows a query selects."""

    def __init__(self, store: TokenStore) -> None:
        self.store = store
        self._lengths: np.ndarray | None = None
        self._text_rank: np.ndarray | None = None
        self._lexicon_joined: tuple[str, array] | None = None
        self._lexicon_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.store)

    @property
    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._lengths = np.diff(self.store.offsets)
        return self._lengths

    def document(self, number: int) -> Document:
        return self.store.document(number)

    def preview(self, number: int) -> str:
        ids = self.store.token_ids(number)[:PREVIEW_WORDS].tolist()
        lexicon = self.store.lexicon
        more = " …" if self.length(number) > PREVIEW_WORDS else ""
        return " ".join(lexicon[i] for i in ids) + more

    def length(self, number: int) -> int:
        return int(self.lengths[number])

    def rows(self, needle: str = "", label: str | None = None, split: str | None = None,
             sort: tuple[str, bool] | None = None, progress: Progress | None = None,
             ) -> np.ndarray:
        """Numbers of the documents matching every filter given (label "" is unlabelled),
        ordered by `sort` = (column, descending) (stable; document order when None)."""
        store = self.store
        mask = np.ones(len(store), dtype=bool)
        if label is not None:
            code = store.labels.index(label) if label in store.labels else -2
            mask &= store.arrays["label"] == (-1 if label == "" else code)
        if split is not None:
            mask &= store.arrays["split"] == SPLITS.index(split)
        for word in needle.lower().split():
            mask &= self.containing(word, progress)
        rows = np.flatnonzero(mask)
        if sort is None:
            return rows
        column, descending = sort
        keys = self._sort_keys(column, progress)
        if keys is None:
            return rows[::-1] if descending else rows
        chosen = keys[rows]
        # stable in both directions: ties keep document order
        order = (np.argsort(-chosen.astype(np.int64), kind="stable") if descending
                 else np.argsort(chosen, kind="stable"))
        return rows[order]

    def matching_words(self, word: str, progress: Progress | None = None) -> np.ndarray:
        """One bool per lexicon entry: does `word` (lower case) occur in it, ignoring case?

        The lexicon of a million reviews holds a million words or more; testing each one in
        Python took ~150 ms per search, with the GIL. The lowered lexicon is kept as one
        string instead, and `str.find` jumps from one occurrence to the next in C."""
        text, starts = self._lexicon_text(progress)
        wanted = np.zeros(len(starts) - 1, dtype=bool)
        find, hits = text.find, 0
        position = find(word)
        while position >= 0:
            entry = bisect_right(starts, position) - 1
            wanted[entry] = True
            hits += 1
            if hits % 4096 == 0:
                report(progress, position, len(text), f"Looking up '{word}'")
            position = find(word, starts[entry + 1])  # the next entry: one hit per word
        return wanted

    def prepare_search(self, progress: Progress | None = None) -> None:
        """Build what a word search reads (see `_lexicon_text`) now, e.g. while loading."""
        self._lexicon_text(progress)

    def _lexicon_text(self, progress: Progress | None = None) -> tuple[str, array]:
        """The lowered lexicon joined by newlines, and where each entry starts (plus the
        end), built once (by the first thread that asks; the others wait for it) in steps
        between which a cancel stops it. Entries are lowered one by one: lowering can change
        a word's length (a dotted capital I becomes two characters)."""
        with self._lexicon_lock:
            if self._lexicon_joined is None:
                lexicon = self.store.lexicon
                parts: list[str] = []  # the lowered words joined a step at a time
                starts = array("q", [0])
                for start in range(0, len(lexicon), LEXICON_STEP):
                    lowered = [entry.lower() for entry in lexicon[start:start + LEXICON_STEP]]
                    offset = starts[-1]
                    starts.extend(offset + end for end in accumulate(len(entry) + 1
                                                                     for entry in lowered))
                    parts.append("\n".join(lowered))
                    report(progress, start, len(lexicon), "Reading the words")
                self._lexicon_joined = ("\n".join(parts), starts)
            return self._lexicon_joined

    def containing(self, word: str, progress: Progress | None = None) -> np.ndarray:
        """One bool per document: does it hold a word of which `word` is a substring?"""
        wanted = self.matching_words(word.lower(), progress)
        found = np.zeros(len(self.store), dtype=bool)
        if not wanted.any():
            return found
        offsets, tokens = self.store.offsets, self.store.tokens
        total = len(found)
        for start in range(0, total, COUNT_BLOCK):
            stop = min(total, start + COUNT_BLOCK)
            first, last = int(offsets[start]), int(offsets[stop])
            hits = np.flatnonzero(wanted[tokens[first:last]]) + first
            documents = np.searchsorted(offsets, hits, side="right") - 1
            found[documents] = True
            report(progress, stop, total, f"Searching for '{word}'")
        return found

    def _sort_keys(self, column: str, progress: Progress | None = None) -> np.ndarray | None:
        store = self.store
        if column == "length":
            return self.lengths
        if column == "label":  # labels are numbered in sorted order; unlabelled (-1) first
            return np.asarray(store.arrays["label"])
        if column == "split":
            return np.asarray(store.arrays["split"])
        if column == "text":  # by the first word (the lexicon in sorted order), then order
            return self._first_word_rank(progress)
        if column == "source":
            return np.asarray(store.arrays["source"])
        return None

    def _first_word_rank(self, progress: Progress | None = None) -> np.ndarray:
        """Each document's first word's place in the sorted lexicon (kept once computed).
        The lexicon is sorted in slices: one C-level sort of a few hundred thousand words
        would hold the GIL, and the window with it, for a visible moment."""
        if self._text_rank is not None:
            return self._text_rank
        store = self.store
        lexicon = store.lexicon
        rank = np.empty(len(lexicon) + 1, dtype=np.int64)
        rank[0] = -1  # an empty document sorts first

        def tick(done: int) -> None:
            report(progress, done, len(lexicon), "Sorting the words")

        order = sorted_in_slices(list(range(len(lexicon))), lexicon.__getitem__, False, tick)
        rank[1:][np.asarray(order, dtype=np.int64)] = np.arange(len(lexicon))
        starts = store.offsets[:-1]
        empty = self.lengths == 0
        first = np.zeros(len(store), dtype=np.int64)
        first[~empty] = store.tokens[starts[~empty]].astype(np.int64) + 1
        self._text_rank = rank[first]
        return self._text_rank


def word_totals(store: TokenStore) -> tuple[int, int]:
    """(word tokens, tokens joined by "_") over every document of the store: the figures
    the in-memory report counts while cleaning, here from one pass over the token ids."""
    from lstm_studio.core.summary import token_kinds

    words, joined = token_kinds(store.lexicon)
    totals = count_tokens(store.tokens, store.offsets, np.ones(len(store), dtype=bool),
                          len(store.lexicon))
    return int(totals[words].sum()), int(totals[joined].sum())


def summarize_store(store: TokenStore, progress: Progress | None = None) -> DatasetSummary:
    """`summarize` for a store, from its arrays and one pass over its token ids.

    Duplicates are documents whose token ids repeat an earlier document's (the text as
    tokenised, which is what `summarize` compares too). Two figures need the text as read
    and are not counted for a store: documents not in NFC and those typed without
    diacritics (0 here; the cleaning report of the store says what normalisation did).
    """
    from lstm_studio.core.summary import DatasetSummary, LengthStats

    names = store.labels
    labels, splits = store.arrays["label"], store.arrays["split"]
    per_split: dict[str, dict[str, int]] = {}
    for code, split in enumerate(SPLITS):
        counts = np.bincount(labels[splits == code].astype(np.int64) + 1,
                             minlength=len(names) + 1)
        if counts.any():
            per_split[split] = {("" if i == 0 else names[i - 1]): int(n)
                                for i, n in enumerate(counts.tolist()) if n}
    lengths = np.diff(store.offsets)
    ordered = np.sort(lengths)
    stats = LengthStats()
    if len(ordered):
        rank = max(1, int(np.ceil(0.95 * len(ordered))))
        stats = LengthStats(min=int(ordered[0]), median=float(np.median(ordered)),
                            p95=int(ordered[rank - 1]), max=int(ordered[-1]),
                            mean=round(float(ordered.mean()), 2))
    duplicates, groups, mixed = _duplicate_figures(store, progress)
    words_total, joined_total = word_totals(store)
    return DatasetSummary(
        documents=len(store), splits=per_split, labels=names, lengths=stats,
        duplicates=duplicates, duplicate_groups=groups,
        cross_split_duplicates=mixed, empty=int((lengths == 0).sum()), non_nfc=0,
        sources=[dict(item) for item in store.meta["sources"]],
        word_tokens=words_total, joined_tokens=joined_total,
        looks_segmented=looks_segmented(words_total, joined_total))


# Two polynomial hashes of a document's token ids (odd multipliers, arithmetic modulo 2**64),
# with its length mixed in: 128 bits, so two different documents share a key with a
# probability of about n**2 / 2**129 (nil for any corpus), while NumPy computes every key.
_HASH_BASES = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
_LENGTH_MIX = np.uint64(0x165667B19E3779F9)
HASH_BLOCK = 50_000  # documents hashed at once (bounds the per-token arrays)


def _document_keys(store: TokenStore, progress: Progress | None = None,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Two uint64 arrays: one 128-bit key per document, equal for equal token id sequences."""
    offsets, tokens = store.offsets, store.tokens
    lengths = np.diff(offsets).astype(np.int64)
    keys = (np.zeros(len(store), dtype=np.uint64), np.zeros(len(store), dtype=np.uint64))
    powers: list[np.ndarray] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]
    for start in range(0, len(store), HASH_BLOCK):
        stop = min(len(store), start + HASH_BLOCK)
        sizes = lengths[start:stop]
        first, last = int(offsets[start]), int(offsets[stop])
        values = tokens[first:last].astype(np.uint64) + np.uint64(1)  # id 0 counts too
        starts = (offsets[start:stop] - first).astype(np.int64)
        position = np.arange(last - first, dtype=np.int64) - np.repeat(starts, sizes)
        filled = sizes > 0
        longest = int(sizes.max()) if len(sizes) else 0
        for number, base in enumerate(_HASH_BASES):
            if len(powers[number]) < longest:  # base**0 .. base**(longest-1), wrapping
                powers[number] = np.cumprod(np.concatenate(
                    [np.ones(1, dtype=np.uint64), np.full(longest - 1, base, dtype=np.uint64)]))
            if filled.any():
                sums = np.add.reduceat(values * powers[number][position], starts[filled])
                keys[number][start:stop][filled] = sums
            keys[number][start:stop] ^= sizes.astype(np.uint64) * _LENGTH_MIX
        report(progress, stop, len(store), "Looking for duplicates")
    return keys


def _duplicate_figures(store: TokenStore, progress: Progress | None = None,
                       ) -> tuple[int, int, int]:
    """(documents repeating an earlier one, groups of repeats, groups spread over more than
    one split), as `summarize` counts them, from `_document_keys`."""
    first, second = _document_keys(store, progress)
    if not len(first):
        return 0, 0, 0
    order = np.lexsort((np.arange(len(first)), second, first))
    a, b = first[order], second[order]
    starts = np.flatnonzero(np.concatenate([[True], (a[1:] != a[:-1]) | (b[1:] != b[:-1])]))
    sizes = np.diff(np.append(starts, len(order)))
    repeated = sizes > 1
    splits = np.asarray(store.arrays["split"])[order].astype(np.int64)
    spread = (np.maximum.reduceat(splits, starts) != np.minimum.reduceat(splits, starts))
    return (int((sizes - 1).sum()), int(repeated.sum()), int((spread & repeated).sum()))

