"""`load_sources`: many sources in, one Dataset out.

Each path goes to the reader for its kind (folder, zip, csv/tsv, jsonl/json, fastText, plain
text corpus), the split rule in `splits` decides every document's split, and the labels are
checked once for the whole dataset. Readers hand back plain tuples so each Document is built
exactly once, which keeps 50,000 documents well inside the loading budget.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lstm_studio.core.config import DataConfig, validate_limits
from lstm_studio.core.dataset import Dataset, Document, SourceInfo
from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.progress import Progress
from lstm_studio.core.readers.common import FILE_KINDS, Record, SourceRead, Tick
from lstm_studio.core.readers.splits import SplitPlan, check_override, decide, split_from_name
from lstm_studio.core.wording import plural


def _has_txt(root: Path) -> bool:
    for _directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith((".", "__MACOSX"))]
        if any(name.lower().endswith(".txt") and not name.startswith(".") for name in files):
            return True
    return False


def _expand(path: Path) -> tuple[list[Path], str | None]:
    """A folder with no .txt documents but with data files at its top opens those files."""
    if not path.is_dir() or _has_txt(path):
        return [path], None
    entries = [entry for entry in sorted(path.iterdir()) if not entry.name.startswith(".")]
    files = [entry for entry in entries
             if entry.is_file() and entry.suffix.lower() in FILE_KINDS]
    if files:
        names = ", ".join(entry.name for entry in files)
        return files, f"opened the data files in folder {path.name}: {names}"
    if not entries:
        raise DataError(f"The folder {path} is empty.")
    raise DataError(f"The folder {path} contains no .txt documents or data files.")


def _read(path: Path, config: DataConfig, tick: Tick, budget: ReadBudget) -> SourceRead:
    """One source whole: the streaming reader's documents collected (one implementation of
    every format; `.gz` files are left to the streaming readers)."""
    from lstm_studio.core.corpus.stream import SourceStream  # it builds on this package

    stream = SourceStream(path, config, budget, tick, gzip_allowed=False)
    records: list[Record] = [located[:4] for located in stream.located()]
    return SourceRead(kind=stream.kind, records=records, notes=stream.notes)


def resolve_targets(paths: Sequence[str | Path]) -> list[tuple[Path, str, str | None]]:
    """(file, the name as given, expansion note) for every source, folders of data files
    opened; a missing source or one given twice is refused. The streaming store reads the
    same targets in the same order, so both paths see the same documents."""
    targets: list[tuple[Path, str, str | None]] = []
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise DataError(f"{path} does not exist.")
        files, note = _expand(path)
        targets.extend((file, str(file) if note else str(given), note) for file in files)
    seen: set[Path] = set()
    for path, _given, _note in targets:
        if path.resolve() in seen:
            raise DataError(f"{path} was given twice.")
        seen.add(path.resolve())
    return targets


def override_for(path: Path, given: str, overrides: dict[str, str]) -> str | None:
    for key, value in overrides.items():
        if key in (given, str(path), path.name) or Path(key).resolve() == path.resolve():
            split = check_override(value)
            if split is None:
                raise DataError(
                    f"Split override '{value}' for {path.name} is not train, valid or test."
                )
            return split
    return None


def load_sources(paths: Sequence[str | Path], config: DataConfig | None = None,
                 progress: Progress | None = None) -> Dataset:
    """Read every source and return one Dataset; raises DataError with one sentence.

    The result is the data as the sources split it (overrides applied). `config.random_split`
    is left to the caller (`summary.random_split`), so a view can switch a random re-split on
    and off without reading the files again.
    """
    config = config or DataConfig()
    if not paths:
        raise DataError("No dataset source was given.")
    validate_limits(config.limits)
    budget = ReadBudget(config.limits)
    targets = resolve_targets(paths)

    reads: list[SourceRead] = []
    plans: list[SplitPlan] = []
    for path, given, note in targets:
        def tick(done: int, total: int, _name: str = path.name) -> None:
            if progress is not None:
                progress.update(done, total, f"Reading {_name}")

        override = override_for(path, given, config.split_overrides)
        read = _read(path, config, tick, budget)
        if note:
            read.notes.insert(0, note)
        cut = budget.take_cut_note()
        if cut:
            read.notes.append(cut)
        reads.append(read)
        provided = {record[2] for record in read.records}
        plans.append(SplitPlan(
            name=path.name,
            provided=provided,
            override=override,
            name_hint=split_from_name(path.stem if path.is_file() else path.name),
        ))
    decide(plans)

    documents: list[Document] = []
    sources: list[SourceInfo] = []
    for (path, given, _note), read, plan in zip(targets, reads, plans, strict=True):
        mapping = plan.mapping
        documents.extend(Document(text, label, mapping[split], where)
                         for text, label, split, where in read.records)
        sources.append(SourceInfo(path=given, kind=read.kind, documents=len(read.records),
                                  split_override=plan.override,
                                  notes=tuple(read.notes + plan.notes)))
        if progress is not None:
            progress.update(len(read.records), len(read.records), f"Read {path.name}")
    _check_labels(documents, budget)
    return Dataset(documents=documents, sources=sources)


def load_configured(config: DataConfig, progress: Progress | None = None) -> Dataset:
    """Read `config.sources` as the Data tab does: the sources' splits, then the random
    re-split when the configuration asks for one."""
    from lstm_studio.core.summary import random_split

    dataset = load_sources(config.sources, config, progress=progress)
    if config.random_split is not None:
        dataset = random_split(dataset, config.random_split, config.random_split_seed)
    return dataset


def absolute_sources(config: DataConfig, base: str | Path | None = None) -> DataConfig:
    """The same configuration with relative source paths made absolute (against `base`, or
    the working folder), so it still names the same files from another folder. Split
    overrides keep their keys and gain an absolute twin for keys that name a file there."""
    from dataclasses import replace

    root = Path(base) if base is not None else Path.cwd()  # cwd-ok: the paths the user typed

    def absolute(path: str) -> str:
        candidate = Path(path).expanduser()
        return str(candidate if candidate.is_absolute() else root / candidate)

    overrides = dict(config.split_overrides)
    for key, value in config.split_overrides.items():
        if (root / key).exists():
            overrides.setdefault(absolute(key), value)
    return replace(config, sources=[absolute(path) for path in config.sources],
                   split_overrides=overrides)


def _check_labels(documents: list[Document], budget: ReadBudget) -> None:
    labels: dict[str, int] = {}
    unlabelled: Document | None = None
    for doc in documents:
        if doc.label is None:
            unlabelled = unlabelled or doc
        else:
            labels[doc.label] = labels.get(doc.label, 0) + 1
    check_label_counts(labels, unlabelled.source if unlabelled else None, budget)


def check_label_counts(labels: dict[str, int], unlabelled: str | None,
                       budget: ReadBudget) -> None:
    """The dataset-wide label rules: within the label budget, every document labelled or
    none, at least two labels. `unlabelled` names the first document without a label."""
    budget.check_labels(len(labels))
    if labels and unlabelled is not None:
        raise DataError(
            f"{unlabelled} has no label while other documents do; label every document "
            "or load the unlabelled ones separately as a corpus."
        )
    if len(labels) == 1:
        (label, count), = labels.items()
        raise DataError(
            f"The dataset has a single label, '{label}' ({plural(count, 'document')}); "
            "a classifier needs at least two, so add the other classes' folders or files."
        )
