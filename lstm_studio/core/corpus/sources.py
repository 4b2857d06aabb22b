"""Which reader a source goes to, and the checks every file passes before it is parsed.

Shared by the whole-dataset loader (readers/loader.py) and the streaming readers
(corpus/stream.py), so both refuse the same files with the same words and read the rest with
the same parser. A format is an object with a `kind`, `notes` (complete once iterated), an
iterator of located records (common.Located), `progress()` and `fetch` for one record again.

`.gz` files (`reviews.jsonl.gz`, `reviews.csv.gz`) are streamed through gzip when
`gzip_allowed`; the kind is the inner file's (jsonl, csv...) and a note says it was
compressed. The whole-dataset loader does not open them: it reads into memory anyway.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from lstm_studio.core.config import DataConfig
from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import FILE_KINDS, SUPPORTED, refuse_binary
from lstm_studio.core.readers.fasttext import FastText, looks_like_fasttext
from lstm_studio.core.readers.folder import FolderDocuments
from lstm_studio.core.readers.jsonl import JsonLines
from lstm_studio.core.readers.lines import LineFile
from lstm_studio.core.readers.table import Table
from lstm_studio.core.readers.text import Corpus
from lstm_studio.core.readers.zipped import ZipDocuments

GZIP_NOTE = "gzip-compressed: decompressed while it was read"


LineFormat = JsonLines | Table | FastText | Corpus
MemberFormat = FolderDocuments | ZipDocuments


def open_format(path: Path, config: DataConfig, budget: ReadBudget,
                gzip_allowed: bool = True) -> tuple[LineFormat | MemberFormat, list[str]]:
    """The reader for `path` and the notes about how it is read (compression, encoding)."""
    if path.is_dir():
        return FolderDocuments(path, config.encoding, budget), []
    if not path.is_file():  # a pipe or a device: opening it could wait forever
        raise DataError(f"{path} is not a regular file or folder.")
    suffix = path.suffix.lower()
    compressed = gzip_allowed and suffix == ".gz"
    if compressed:
        suffix = Path(path.stem).suffix.lower()
    kind = FILE_KINDS.get(suffix)
    if kind == "zip" and not compressed:
        return ZipDocuments(path, config.encoding, budget), []
    if not compressed:  # a gzip file's expanded size is only known once it is read
        try:
            size = path.stat().st_size
        except OSError as error:
            raise DataError(f"Cannot read {path}: {error.strerror}.") from error
        budget.check_file(size, str(path))
    source = LineFile(path, config.encoding, compressed)
    refuse_binary(source.head, str(path), config.encoding, "a text dataset")
    if kind is None or kind == "zip":
        shown = f"type '{path.suffix.lower()}'" if path.suffix else "type (no extension)"
        if compressed:
            shown = f"type '{suffix or '(none)'}' inside its gzip"
        raise DataError(f"{path} has an unsupported file {shown}; open {SUPPORTED}.")
    if source.blank():
        raise DataError(f"{path} is empty.")
    notes = ([GZIP_NOTE] if compressed else []) + source.notes
    if kind == "table":
        return Table(source, path, suffix, config.text_column, config.label_column,
                     budget), notes
    if kind == "jsonl":
        return JsonLines(source, path, suffix, config.text_column, config.label_column,
                         budget), notes
    if kind != "fasttext":
        with closing(source.lines()) as lines:
            if not looks_like_fasttext(lines):
                return Corpus(source, path, budget), notes
    return FastText(source, path, budget), notes
