"""One pass from sources to a token store: read, clean, count and tokenise, never holding the
corpus.

`prepare_store(data, cleaning)` returns the cached store when the sources (paths, sizes,
modification times) and the pipeline are unchanged, so a second run starts training at
once; otherwise it streams every source, cleans chunks in worker processes (the same
`iter_cleaned` the in-memory path uses, so each document is cleaned identically), and writes
the arrays described in store.py. Decisions that need the whole corpus are made at the end
from what was counted on the way: each source's splits (the split rule of readers/splits.py),
the random re-split, the label checks, and the language filter's verdict on the few short
texts that depend on the corpus's other languages.

Two decisions are taken on a sample instead of the whole corpus, and the report says so:
`segment="auto"` looks at the first SAMPLE documents (the in-memory path looks at all).

The store is written into a `*.partial-<pid>` folder and renamed into place when complete;
any failure (a full disk, a source that changed while being read, a cancel) removes it, so
a half-written store is never opened. A cached store that fails its checks is rebuilt.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import time
from array import array
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import count, islice
from pathlib import Path
from typing import Any

import numpy as np

from lstm_studio import __version__
from lstm_studio.core.atomic import atomic_write_text
from lstm_studio.core.cleaning import (
    CHUNK_SIZE,
    DocResult,
    corpus_rules,
    default_workers,
    detection_of,
    drop_reason,
    iter_cleaned,
    resolve_config,
)
from lstm_studio.core.cleaning_steps import enabled_steps
from lstm_studio.core.config import CleaningConfig, DataConfig, config_to_dict, validate_limits
from lstm_studio.core.corpus.cache import PARTIAL, stores_dir, sweep_partials
from lstm_studio.core.corpus.store import (
    DOC_ARRAYS,
    DROP_REASONS,
    OFFSETS,
    STORE_VERSION,
    TOKENS,
    TRAIN_COUNTS,
    BrokenStore,
    TokenStore,
    count_tokens,
    open_store,
)
from lstm_studio.core.corpus.stream import SourceStream, stream_source
from lstm_studio.core.dataset import SPLITS
from lstm_studio.core.errors import DataError
from lstm_studio.core.language_rules import Detection, LanguageRules
from lstm_studio.core.limits import ReadBudget, size_text
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.readers.loader import check_label_counts, override_for, resolve_targets
from lstm_studio.core.readers.splits import SplitPlan, decide, split_from_name
from lstm_studio.core.summary import split_assignment
from lstm_studio.core.wording import plural

SAMPLE = 5000  # documents the automatic segmentation decision looks at
RAW_SPLITS: tuple[str | None, ...] = (None, "train", "valid", "test")
EXAMPLES = 20  # dropped documents the report names
FLUSH_TOKENS = 1 << 20  # token ids buffered before a write
# The total a store may read: disk, not memory, bounds it, so the in-memory budget (1 GB by
# default) would refuse exactly the corpora the store is for.
STORE_TOTAL_BYTES = 1 << 40


@dataclass
class PreparedStore:
    """A store ready for training, and how it was obtained."""

    store: TokenStore
    built: bool  # False: reused from the cache
    seconds: float
    notes: list[str] = field(default_factory=list)


# --- the key --------------------------------------------------------------------------------

def _fingerprint(path: Path) -> list[Any]:
    """What identifies a source's content cheaply: size and modification time of the file,
    or of every file under a folder."""
    if path.is_dir():
        entries = []
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                stat = (Path(root) / name).stat()
                entries.append([os.path.relpath(Path(root) / name, path), stat.st_size,
                                stat.st_mtime_ns])
        return [str(path.resolve()), entries]
    stat = path.stat()
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def as_built(data: DataConfig) -> DataConfig:
    """`data` as a build reads it: the total-size budget lifted (the store holds nothing in
    memory) and the memory-or-store choice cleared, since neither changes what is written.
    The cache key is taken from this, so `--store on` and `auto` share one store."""
    limits = replace(data.limits, max_total_bytes=max(data.limits.max_total_bytes,
                                                      STORE_TOTAL_BYTES))
    return replace(data, limits=limits, store="on")


def store_key(data: DataConfig, cleaning: CleaningConfig | None) -> str:
    """The cache key: the sources as they are now on disk, how they are read, the cleaning
    pipeline and the code versions that shape the arrays."""
    from lstm_studio.core import segmentation
    from lstm_studio.core.readers import absolute_sources

    targets = resolve_targets(data.sources)
    described = {
        "store": STORE_VERSION,
        "app": __version__,
        "sources": [_fingerprint(path) for path, _given, _note in targets],
        "data": config_to_dict(absolute_sources(as_built(data))),
        "cleaning": config_to_dict(cleaning) if cleaning is not None else None,
        "segmenter": segmentation.version() if cleaning is not None else None,
    }
    text = json.dumps(described, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# --- writing ----------------------------------------------------------------------------------

class _Writer:
    """Appends documents to a partial store folder; `finish` writes what needs the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tokens = open(folder / TOKENS[0], "wb")  # noqa: SIM115  (closed in finish/close)
        self.members = open(folder / "members.txt", "w", encoding="utf-8")  # noqa: SIM115
        self.lexicon: dict[str, int] = {}
        self.buffer = array("I")  # token ids not yet written
        self._next_id = count().__next__
        self.offsets = array("q", [0])
        self.columns: dict[str, array] = {
            "label": array("i"), "raw_split": array("b"), "drop": array("b"),
            "source": array("H"), "line": array("q"), "offset": array("q"),
            "member": array("i")}
        self.total = 0
        self.member_count = 0

    def add(self, text: str, label: int, raw_split: int, drop: int, source: int, line: int,
            offset: int, member: str | None) -> None:
        lexicon, next_id = self.lexicon, self._next_id
        ids = [lexicon[word] if word in lexicon else lexicon.setdefault(word, next_id())
               for word in text.split()]
        self.buffer.extend(ids)
        if len(self.buffer) >= FLUSH_TOKENS:
            self.flush()
        self.total += len(ids)
        self.offsets.append(self.total)
        columns = self.columns
        columns["label"].append(label)
        columns["raw_split"].append(raw_split)
        columns["drop"].append(drop)
        columns["source"].append(source)
        columns["line"].append(line)
        columns["offset"].append(offset)
        if member is None:
            columns["member"].append(-1)
        else:
            columns["member"].append(self.member_count)
            self.members.write(member + "\n")
            self.member_count += 1

    def flush(self) -> None:
        self.buffer.tofile(self.tokens)
        self.buffer = array("I")

    def close(self) -> None:
        self.flush()
        self.tokens.close()
        self.members.close()

    def finish(self, split: np.ndarray, label: np.ndarray, drop: np.ndarray,
               meta: dict[str, Any]) -> None:
        self.close()
        np.asarray(self.offsets, dtype=OFFSETS[1]).tofile(self.folder / OFFSETS[0])
        final = {"label": label, "split": split, "drop": drop}
        for name, (file, dtype) in DOC_ARRAYS.items():
            values = final[name] if name in final else self.columns[name]
            np.asarray(values, dtype=dtype).tofile(self.folder / file)
        with open(self.folder / "lexicon.txt", "w", encoding="utf-8") as handle:
            for word in self.lexicon:
                handle.write(word + "\n")
        if self.total:
            tokens = np.memmap(self.folder / TOKENS[0], dtype=TOKENS[1], mode="r",
                               shape=(self.total,))
            wanted = split == SPLITS.index("train")
            if meta["train_counts_filtered"]:
                wanted &= drop == 0
            counts = count_tokens(tokens, np.asarray(self.offsets, dtype=np.int64), wanted,
                                  len(self.lexicon))
            del tokens
        else:
            counts = np.zeros(len(self.lexicon), dtype=np.int64)
        counts.astype(TRAIN_COUNTS[1]).tofile(self.folder / TRAIN_COUNTS[0])
        atomic_write_text(self.folder / "meta.json", json.dumps(meta, ensure_ascii=False))


# --- the pass ---------------------------------------------------------------------------------

@dataclass
class _SourceState:
    path: Path
    given: str
    records: SourceStream
    override: str | None
    documents: int = 0
    provided: set[str | None] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Cleaning:
    """What the filters need while streaming, and the report they fill."""

    config: CleaningConfig
    rules: LanguageRules | None
    steps: list[str]
    report: dict[str, Any]
    votes: Counter[str] = field(default_factory=Counter)
    deferred: dict[int, Detection] = field(default_factory=dict)
    changed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)

    def judge(self, index: int, result: DocResult) -> tuple[int, str]:
        """(drop code, detail) now, or (0, "") with the verdict deferred to the end."""
        for bit, name in enumerate(self.steps):
            if result.changed >> bit & 1:
                self.changed[name] += 1
            if result.failed >> bit & 1:
                self.failed[name] += 1
        if result.language:
            self.languages[result.language] += 1
        if self.rules is not None and result.text.strip():
            detection = detection_of(result)
            vote = self.rules.competitor_vote(detection)
            if vote:
                self.votes[vote] += 1
            if self.rules.needs_corpus(detection):
                self.deferred[index] = detection
                return 0, ""
        reason = drop_reason(result, self.config, self.rules)
        if reason is None:
            return 0, ""
        return DROP_REASONS.index(reason[0]), reason[1]


def prepare_store(data: DataConfig, cleaning: CleaningConfig | None,
                  progress: Progress | None = None, workers: int | None = None,
                  rebuild: bool = False) -> PreparedStore:
    """The store for these sources and this pipeline: from the cache when it is there and
    sound, else built now (see the module doc)."""
    started = time.monotonic()
    validate_limits(data.limits)
    key = store_key(data, cleaning)
    folder = stores_dir() / key
    notes: list[str] = []
    if folder.exists() and not rebuild:
        try:
            store = open_store(folder)
            return PreparedStore(store, False, time.monotonic() - started,
                                 [f"Reused the prepared corpus in the cache ({key})."])
        except BrokenStore as error:
            notes.append(f"The cached copy of this corpus was not usable ({error}), so it was "
                         "rebuilt.")
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    sweep_partials()
    partial = stores_dir() / f"{key}{PARTIAL}{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _build(partial, key, data, cleaning, progress, workers)
        try:
            partial.rename(folder)
        except OSError:  # another process finished the same store first: use theirs
            shutil.rmtree(partial, ignore_errors=True)
        store = open_store(folder)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        if error.errno == errno.ENOSPC:
            raise DataError(f"The disk holding the corpus cache ({stores_dir()}) is full, so the "
                            "prepared corpus could not be written; the partial copy was removed. "
                            "Free some space or clear the cache (lstm-studio cache --clear).") \
                from error
        raise DataError(f"Could not write the prepared corpus to {stores_dir()}: "
                        f"{error.strerror or error}.") from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    seconds = time.monotonic() - started
    notes.append(f"Prepared {plural(len(store), 'document')} in {seconds:.1f} s "
                 f"({size_text(store.size_bytes())} in the cache).")
    return PreparedStore(store, True, seconds, notes)


def _records(states: list[_SourceState], budget: ReadBudget, progress: Progress | None
             ) -> Iterator[tuple[int, Any]]:
    """(source index, record) for every document of every source, in the loader's order;
    each stream refuses a source that changes while it is read."""
    done = 0
    for index, state in enumerate(states):
        for record in state.records:
            state.documents += 1
            state.provided.add(record.split)
            done += 1
            if done % CHUNK_SIZE == 0:
                report(progress, done, 0, f"Preparing {state.path.name}")
            yield index, record
        state.notes.extend(state.records.notes)
        cut = budget.take_cut_note()  # this source's documents cut to the per-document cap
        if cut:
            state.notes.append(cut)


def _chunked(items: Iterator[tuple[int, Any]], pending: deque) -> Iterator[list[str]]:
    """Texts in chunks for the cleaners; each chunk's records wait in `pending` (in order)."""
    chunk: list[tuple[int, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK_SIZE:
            pending.append(chunk)
            yield [record.text for _, record in chunk]
            chunk = []
    if chunk:
        pending.append(chunk)
        yield [record.text for _, record in chunk]


def _build(folder: Path, key: str, data: DataConfig, cleaning: CleaningConfig | None,
           progress: Progress | None, workers: int | None) -> None:
    budget = ReadBudget(as_built(data).limits)
    states = [
        _SourceState(path, given, stream_source(path, data, budget),
                     override_for(path, given, data.split_overrides), notes=[note] if note else [])
        for path, given, note in resolve_targets(data.sources)]
    stream = _records(states, budget, progress)
    writer = _Writer(folder)
    label_ids: dict[str, int] = {}
    label_counts: Counter[str] = Counter()
    first_unlabelled: str | None = None
    clean: _Cleaning | None = None
    examples: list[dict[str, Any]] = []
    head = list(islice(stream, SAMPLE)) if cleaning is not None else []
    if cleaning is not None:
        resolved, note = resolve_config(cleaning, [record.text for _, record in head])
        if resolved.segment != cleaning.segment:
            note += f" (decided on the first {plural(min(SAMPLE, len(head)), 'document')})"
        clean = _Cleaning(resolved, corpus_rules(resolved), list(enabled_steps(resolved)),
                          {"segmentation": note})

    def all_records() -> Iterator[tuple[int, Any]]:
        yield from head
        yield from stream

    pending: deque[list[tuple[int, Any]]] = deque()
    texts = _chunked(all_records(), pending)
    results: Iterator[list[Any]] = texts  # without cleaning, the texts as read
    if clean is not None:
        processes = default_workers() if workers is None else max(1, workers)
        results = iter_cleaned(texts, config_to_dict(clean.config), processes)
    index = 0
    for cleaned in results:
        chunk = pending.popleft()
        for (source, record), result in zip(chunk, cleaned, strict=True):
            if record.label is None:
                first_unlabelled = first_unlabelled or record.where
                label = -1
            else:
                label = label_ids.setdefault(record.label, len(label_ids))
                label_counts[record.label] += 1
            drop, detail = 0, ""
            text = result
            if clean is not None:
                text = result.text
                drop, detail = clean.judge(index, result)
                if drop and len(examples) < EXAMPLES:
                    examples.append({"index": index, "reason": DROP_REASONS[drop],
                                     "detail": detail})
            position = record.position
            writer.add(text, label, RAW_SPLITS.index(record.split), drop, source,
                       position.line, position.offset, position.member)
            index += 1
    report(progress, index, index, "Prepared")
    check_label_counts(dict(label_counts), first_unlabelled, budget)
    split, sources = _final_splits(writer, states, data, label_ids)
    labels = sorted(label_ids)
    relabel = np.full(len(label_ids) + 1, -1, dtype=np.int32)
    for name, value in label_ids.items():
        relabel[value] = labels.index(name)
    label = relabel[np.asarray(writer.columns["label"], dtype=np.int64)]
    drop = np.asarray(writer.columns["drop"], dtype=np.uint8)
    cleaning_meta = None
    if clean is not None:
        _judge_deferred(clean, drop, examples)
        cleaning_meta = _cleaning_report(clean, drop, split, examples, index)
    meta = {
        "version": STORE_VERSION, "key": key, "app_version": __version__,
        "documents": index, "tokens": writer.total, "lexicon_size": len(writer.lexicon),
        "labels": labels, "sources": sources,
        "data_config": config_to_dict(data),
        "cleaning_config": config_to_dict(clean.config) if clean is not None else None,
        "cleaning": cleaning_meta, "created": time.time(),
        # the training split's word counts leave out what the filters drop from it
        "train_counts_filtered": clean is not None and "train" in clean.config.filter_splits,
    }
    writer.finish(split, label, drop, meta)


def _final_splits(writer: _Writer, states: list[_SourceState], data: DataConfig,
                  label_ids: dict[str, int]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Each document's split by the sources' split rule (and the random re-split when asked),
    and each source as the Data tab lists it."""
    plans = [SplitPlan(name=state.path.name, provided=state.provided, override=state.override,
                       name_hint=split_from_name(state.path.stem if state.path.is_file()
                                                 else state.path.name))
             for state in states]
    decide(plans)
    raw = np.asarray(writer.columns["raw_split"], dtype=np.int64)
    source = np.asarray(writer.columns["source"], dtype=np.int64)
    split = np.zeros(len(raw), dtype=np.uint8)
    for number, plan in enumerate(plans):
        in_source = source == number
        for given, final in plan.mapping.items():
            split[in_source & (raw == RAW_SPLITS.index(given))] = SPLITS.index(final)
    if data.random_split is not None:
        names = {value: name for name, value in label_ids.items()}
        labels = [names.get(value) for value in writer.columns["label"]]
        assigned = split_assignment(labels, data.random_split, data.random_split_seed)
        split = np.asarray([SPLITS.index(name) for name in assigned], dtype=np.uint8)
    sources = [{"path": str(state.path), "given": state.given, "kind": state.records.kind,
                "documents": state.documents, "split_override": plan.override,
                "notes": state.notes + plan.notes}
               for state, plan in zip(states, plans, strict=True)]
    return split, sources


def _judge_deferred(clean: _Cleaning, drop: np.ndarray, examples: list[dict[str, Any]]) -> None:
    """The short texts whose verdict needed the corpus's other languages, judged now."""
    if not clean.deferred:
        return
    rules = corpus_rules(clean.config, votes=clean.votes)
    assert rules is not None
    for index, detection in clean.deferred.items():
        verdict = rules.judge(detection)
        if not verdict.keep:
            drop[index] = DROP_REASONS.index("language")
            if len(examples) < EXAMPLES:
                examples.append({"index": index, "reason": "language",
                                 "detail": verdict.detail})


def _cleaning_report(clean: _Cleaning, drop: np.ndarray, split: np.ndarray,
                     examples: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """What the Clean tab's report shows, counted (the in-memory report lists every dropped
    document; a store names the first EXAMPLES)."""
    dropped: dict[str, dict[str, int]] = {}
    for code, reason in enumerate(DROP_REASONS):
        if not code:
            continue
        counts = np.bincount(split[drop == code], minlength=len(SPLITS))
        dropped[reason] = {name: int(counts[i]) for i, name in enumerate(SPLITS) if counts[i]}
    filtered = set(clean.config.filter_splits) - {"test"}
    removed = sum(n for by_split in dropped.values() for name, n in by_split.items()
                  if name in filtered)
    return {**clean.report, "total": total, "kept": total - removed,
            "steps_changed": dict(clean.changed), "steps_failed": dict(clean.failed),
            "languages": dict(clean.languages.most_common()),
            "dropped": dropped, "filtered_splits": sorted(filtered),
            "examples": examples}

