"""CSV and TSV files with a header row.

The delimiter is detected from the header line (the candidate among tab, comma, semicolon and
pipe that occurs most there; ties and header-less guesses fall back to the extension), which is
more reliable than sniffing quoted review text full of commas. Quoted fields may span lines.
Columns are found by header name (see common.TEXT_COLUMNS / LABEL_COLUMNS / SPLIT_COLUMNS) or
named by the user; a split column's values must name a split (train/valid/val/dev/test).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import (
    LABEL_COLUMNS,
    SPLIT_COLUMNS,
    TEXT_COLUMNS,
    Located,
    Record,
    clean_label,
    find_column,
    split_alias,
)
from lstm_studio.core.readers.lines import Line, LineFile

DELIMITERS = ("\t", ",", ";", "|")


def detect_delimiter(text: str, suffix: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return "\t" if suffix == ".tsv" else ","
    preferred = "\t" if suffix == ".tsv" else ","
    if counts[preferred] == best:
        return preferred
    return max(DELIMITERS, key=lambda delimiter: counts[delimiter])


@dataclass(frozen=True)
class _Layout:
    """What the header says: the delimiter and where the text, label and split columns are."""

    delimiter: str
    header: list[str]
    text: int
    label: int | None
    split: int | None

    def note(self) -> str:
        header = self.header
        return (f"text from column '{header[self.text]}'"
                + (f", label from column '{header[self.label]}'" if self.label is not None
                   else ", no label column")
                + (f", split from column '{header[self.split]}'" if self.split is not None
                   else ""))

    def record(self, row: list[str], where: str, budget: ReadBudget) -> Record:
        width = len(self.header)
        if len(row) != width:
            raise DataError(
                f"{where} has {len(row)} fields but the header has {width} "
                "(an unclosed quote?)."
            )
        split = None
        if self.split is not None:
            split = split_alias(row[self.split])
            if split is None and row[self.split].strip():
                raise DataError(
                    f"{where} has split '{row[self.split]}', which is not train, valid "
                    "(val, dev) or test."
                )
        label = clean_label(row[self.label]) if self.label is not None else None
        return (budget.document_text(row[self.text].strip()), label, split, where)


def _feed(lines: Iterator[Line], consumed: list[Line]) -> Iterator[str]:
    """Lines for the csv module, each remembered until its row is complete (so a row's first
    line, the one a quoted multi-line field starts on, gives its position)."""
    for line in lines:
        consumed.append(line)
        yield line[2] + "\n"


class Table:
    """A CSV/TSV file as a stream of located rows (offset and line of each row's first line)."""

    def __init__(self, source: LineFile, path: Path, suffix: str, text_column: str | None,
                 label_column: str | None, budget: ReadBudget) -> None:
        self.source, self.path, self.suffix = source, path, suffix
        self.text_column, self.label_column, self.budget = text_column, label_column, budget
        self.kind = "tsv" if suffix == ".tsv" else "csv"
        self.notes: list[str] = []

    def progress(self) -> tuple[int, int]:
        return self.source.progress()

    def _layout(self, lines: Iterator[Line], consumed: list[Line]
                ) -> tuple[Iterator[list[str]], _Layout]:
        """A csv reader past the header, and the layout the header gives."""
        path, kind = self.path, self.kind
        feed = _feed(lines, consumed)
        first = next(feed, None)
        if first is None:
            raise DataError(f"{path} is empty.")
        delimiter = detect_delimiter(first, self.suffix)
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        reader = csv.reader(chain([first], feed), delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as error:
            raise DataError(f"{path} is not a readable {kind.upper()} file ({error}).") \
                from error
        if not header:
            raise DataError(f"{path} is empty.")
        text_index = find_column(header, self.text_column, TEXT_COLUMNS, str(path), "text")
        if text_index is None:
            raise DataError(
                f"{path} has no text column (looked for {', '.join(TEXT_COLUMNS[:4])}...; its "
                f"columns are: {', '.join(header)}); name it with --text-column."
            )
        label_index = find_column(header, self.label_column, LABEL_COLUMNS, str(path), "label")
        split_index = find_column(header, None, SPLIT_COLUMNS, str(path), "split")
        consumed.clear()
        return reader, _Layout(delimiter, header, text_index, label_index, split_index)

    def __iter__(self) -> Iterator[Located]:
        name, budget = self.path.name, self.budget
        consumed: list[Line] = []
        with closing(self.source.lines(budget)) as lines:
            reader, layout = self._layout(lines, consumed)
            self.notes = [layout.note()]
            line = getattr(reader, "line_num", 0) + 1
            count = 0
            try:
                for row in reader:
                    start, line = line, getattr(reader, "line_num", 0) + 1
                    _number, offset, _text = consumed[0]
                    consumed.clear()
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    yield (*layout.record(row, f"{name}:line {start}", budget), None, offset,
                           start)
                    count += 1
            except csv.Error as error:
                raise DataError(f"{name}:line {line} cannot be parsed ({error}).") from error
        if not count:
            raise DataError(f"{self.path} has a header but no rows.")

    def fetch(self, offset: int, line: int, budget: ReadBudget) -> str:
        """The text of the row whose first line is at (`offset`, `line`)."""
        consumed: list[Line] = []
        with closing(self.source.lines()) as lines:
            _reader, layout = self._layout(lines, consumed)
        with closing(self.source.lines(None, offset, line)) as lines:
            reader = csv.reader(_feed(lines, consumed), delimiter=layout.delimiter)
            try:
                row = next(reader, None)
            except csv.Error as error:
                raise DataError(f"{self.path.name}:line {line} cannot be parsed ({error}).") \
                    from error
        if row is None:
            raise DataError(f"{self.path} has no line {line} any more; read it again.")
        return layout.record(row, f"{self.path.name}:line {line}", budget)[0]
