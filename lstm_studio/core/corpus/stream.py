"""Documents one at a time, each with the position that finds it again.

`stream_source` reads one source (a file of any supported format, `.gz` line files, a folder
or a zip) and yields `StreamRecord`s without ever holding the whole source: line files are
read a line at a time, folders and zips a member at a time. Each record carries its text,
label, split and `where` exactly as the whole-dataset loader gives them (the loader is built
on the same readers), plus a `Position`; `fetch_text(position, config)` reads that one
document again, for display, with the same text.

A source that changes while it is read (size or modification time differ before and after
the pass) is refused at the end of the pass, since its documents may be a mix of two
versions. Folders are checked on the folder itself (files added or removed at its top);
an edit inside a document file of a folder is not seen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lstm_studio.core.config import DataConfig
from lstm_studio.core.corpus.sources import LineFormat, MemberFormat, open_format
from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import Located, Tick
from lstm_studio.core.readers.folder import FolderDocuments
from lstm_studio.core.readers.zipped import ZipDocuments

TICK_EVERY = 2048  # records between progress reports


@dataclass(frozen=True, slots=True)
class Position:
    """Where a document lives, enough to read it again.

    `offset` is the byte offset of the record's first byte in the (decompressed) file, and
    `line` the 1-based line it starts on; both are 0 for a document that is a whole file
    (`member` names it). Two exceptions: an item of a `.json` array has its item number in
    `offset` and line 0 (the array is read whole); a line of a UTF-16 file has offset 0 and
    is found by its line number.
    """

    source: str  # the file or folder path (absolute) as read
    member: str | None  # zip member or file inside a folder (relative, '/'-separated)
    offset: int
    line: int


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One document as the loader would give it, and where it lives."""

    text: str
    label: str | None
    split: str | None  # as the source says (None: it does not say); splits.py decides later
    where: str
    position: Position


def _signature(path: Path) -> tuple[int, int]:
    try:
        info = os.stat(path)
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror}.") from error
    return info.st_size, info.st_mtime_ns


class SourceStream:
    """An iterable of `StreamRecord`s; after a complete pass, `kind` and `notes` are those of
    the loader's reading of the same source (the budget's note about cut documents is not
    among them: the caller takes it with `budget.take_cut_note()`, as the loader does).

    Each pass reads the source again; `located()` gives the bare tuples (faster, for the
    loader)."""

    def __init__(self, path: Path, config: DataConfig, budget: ReadBudget,
                 tick: Tick | None = None, gzip_allowed: bool = True) -> None:
        self.path = path
        self.source = str(path.absolute())
        self._format, self._notes = open_format(path, config, budget, gzip_allowed)
        self.kind = self._format.kind
        self.notes: list[str] = []
        self._tick = tick

    def located(self) -> Iterator[Located]:
        """(text, label, split, where, member, offset, line) for every document."""
        path, fmt, tick = self.path, self._format, self._tick
        before = _signature(path)
        for count, item in enumerate(fmt, start=1):
            yield item
            if tick is not None and count % TICK_EVERY == 0:
                tick(*fmt.progress())
        if _signature(path) != before:
            raise DataError(f"{path} changed while it was being read; read it again.")
        self.notes = list(fmt.notes) + self._notes

    def __iter__(self) -> Iterator[StreamRecord]:
        source = self.source
        for text, label, split, where, member, offset, line in self.located():
            yield StreamRecord(text, label, split, where, Position(source, member, offset, line))


def stream_source(path: Path, config: DataConfig, budget: ReadBudget,
                  tick: Tick | None = None) -> SourceStream:
    """The documents of one source, one at a time (see the module's docstring). Refusals
    that need no parsing (missing, binary, empty, unsupported) are raised here; the rest
    while iterating."""
    return SourceStream(Path(path).expanduser(), config, budget, tick)


def fetch_text(position: Position, config: DataConfig, budget: ReadBudget | None = None) -> str:
    """The text of the document at `position`, as the stream gave it (the per-document cap
    applies; the load's total budget is not charged)."""
    budget = budget or ReadBudget(config.limits)
    fmt: LineFormat | MemberFormat = open_format(Path(position.source), config, budget)[0]
    if isinstance(fmt, (FolderDocuments, ZipDocuments)):
        if position.member is None:
            raise DataError(f"A position in {position.source} must name a member.")
        return fmt.fetch(position.member, budget)
    return fmt.fetch(position.offset, position.line, budget)
