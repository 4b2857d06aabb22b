"""CSV and TSV files with a header row.

The delimiter is detected from the header line (the candidate among tab, comma, semicolon and
pipe that occurs most there; ties and header-less guesses fall back to the extension), which is
more reliable than sniffing quoted review text full of commas. Quoted fields may span lines.
Columns are found by header name (see common.TEXT_COLUMNS / LABEL_COLUMNS / SPLIT_COLUMNS) or
named by the user; a split column's values must name a split (train/valid/val/dev/test).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import (
    LABEL_COLUMNS,
    SPLIT_COLUMNS,
    TEXT_COLUMNS,
    Record,
    SourceRead,
    Tick,
    clean_label,
    decode,
    find_column,
    split_alias,
)

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


def read_table(path: Path, data: bytes, encoding: str | None, text_column: str | None,
               label_column: str | None, tick: Tick,
               budget: ReadBudget | None = None) -> SourceRead:
    budget = budget or ReadBudget()
    text = decode(data, str(path), encoding)
    kind = "tsv" if path.suffix.lower() == ".tsv" else "csv"
    delimiter = detect_delimiter(text, path.suffix.lower())
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise DataError(f"{path} is not a readable {kind.upper()} file ({error}).") from error
    if not header:
        raise DataError(f"{path} is empty.")
    text_index = find_column(header, text_column, TEXT_COLUMNS, str(path), "text")
    if text_index is None:
        raise DataError(
            f"{path} has no text column (looked for {', '.join(TEXT_COLUMNS[:4])}...; its columns "
            f"are: {', '.join(header)}); name it with --text-column."
        )
    label_index = find_column(header, label_column, LABEL_COLUMNS, str(path), "label")
    split_index = find_column(header, None, SPLIT_COLUMNS, str(path), "split")
    width = len(header)
    records: list[Record] = []
    line = reader.line_num + 1
    total = max(1, text.count("\n"))
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            where = f"{path.name}:line {start}"
            if len(row) != width:
                raise DataError(
                    f"{where} has {len(row)} fields but the header has {width} "
                    "(an unclosed quote?)."
                )
            split = None
            if split_index is not None:
                split = split_alias(row[split_index])
                if split is None and row[split_index].strip():
                    raise DataError(
                        f"{where} has split '{row[split_index]}', which is not train, valid "
                        "(val, dev) or test."
                    )
            label = clean_label(row[label_index]) if label_index is not None else None
            records.append((budget.document_text(row[text_index].strip()), label, split, where))
            if len(records) % 5000 == 0:
                tick(start, total)
    except csv.Error as error:
        raise DataError(f"{path.name}:line {line} cannot be parsed ({error}).") from error
    if not records:
        raise DataError(f"{path} has a header but no rows.")
    notes = [f"text from column '{header[text_index]}'"
             + (f", label from column '{header[label_index]}'" if label_index is not None else
                ", no label column")
             + (f", split from column '{header[split_index]}'" if split_index is not None else "")]
    return SourceRead(kind=kind, records=records, notes=notes)
