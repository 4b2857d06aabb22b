"""Word-vector files, streamed: word2vec/fastText text and word2vec binary (see embeddings.py).

Readers stream word2vec/fastText text files (`.vec`, `.txt`, GloVe's header-less `.txt`,
each optionally gzipped) and word2vec binary files (`.bin`), line by line or record by
record. Only the rows of the model's vocabulary are kept, written straight into one
preallocated [vocabulary x dimension] float32 matrix, so a 2 GB file for two million words
costs the matrix plus one line of memory, never the file. Lines are checked as they pass:
wrong numbers of values, unreadable numbers, words that are not UTF-8 and a header whose
count disagrees with the file are counted and reported in one sentence each; a file where
most lines are broken, or where no vocabulary word has a vector, is an `EmbeddingError`.

Matching: a word's exact form wins; otherwise its lowercase NFC form may fill a row that has
no exact match (the cleaning lowercases and NFC-normalises training text, vector files often
do not).
"""

from __future__ import annotations

import gzip
import os
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from lstm_studio.core.errors import DataError
from lstm_studio.core.progress import Progress

MAX_DIM = 2048  # the largest vector dimension accepted (a lying header cannot allocate more)
MAX_BROKEN_SHARE = 0.5  # more broken lines than this and the file is refused
CHUNK = 1 << 20
PROGRESS_EVERY = 20_000  # lines (or records) between progress reports


class EmbeddingError(DataError):
    """A vector file that cannot initialise the embedding (one sentence, with counts)."""


@dataclass
class VectorFileReport:
    """What reading a vector file found, line by line."""

    path: str
    format: str  # "text" or "binary"
    dim: int
    declared: int | None  # the header's vector count (None: no header)
    vectors: int = 0  # well-formed vectors in the file
    wrong_dimension: int = 0  # lines with another number of values than `dim`
    bad_numbers: int = 0  # lines or records whose values are not finite numbers
    undecodable: int = 0  # words that are not valid UTF-8
    truncated: bool = False  # the file ended inside a record (binary)
    first_wrong_line: int | None = None
    first_wrong_count: int | None = None

    @property
    def broken(self) -> int:
        return self.wrong_dimension + self.bad_numbers + self.undecodable

    def notes(self) -> list[str]:
        """One sentence per problem found (empty when the file is clean)."""
        name = Path(self.path).name
        out = []
        if self.wrong_dimension:
            out.append(f"{self.wrong_dimension:,} line(s) of {name} have the wrong number of "
                       f"values (expected {self.dim}; line {self.first_wrong_line} has "
                       f"{self.first_wrong_count}) and were skipped.")
        if self.bad_numbers:
            out.append(f"{self.bad_numbers:,} vector(s) of {name} hold values that are not "
                       "finite numbers and were skipped.")
        if self.undecodable:
            out.append(f"{self.undecodable:,} word(s) of {name} are not valid UTF-8 and were "
                       "skipped.")
        if self.declared is not None and self.declared != self.vectors + self.broken:
            out.append(f"The header of {name} announces {self.declared:,} vectors but the "
                       f"file holds {self.vectors + self.broken:,}.")
        if self.truncated:
            out.append(f"{name} ends in the middle of a vector (the file is truncated); the "
                       "vectors before it were used.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "dim": self.dim,
                "declared": self.declared, "vectors": self.vectors,
                "wrong_dimension": self.wrong_dimension, "bad_numbers": self.bad_numbers,
                "undecodable": self.undecodable, "truncated": self.truncated}


@dataclass
class Pretrained:
    """Vectors in vocabulary order: `matrix[i]` is word i's vector when `found[i]`."""

    matrix: np.ndarray  # [vocabulary, dim] float32; zero rows where not found
    found: np.ndarray  # [vocabulary] bool
    source: str  # the file, or "word2vec on the training split"
    report: VectorFileReport | None = None

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


# --- matching ------------------------------------------------------------------------------

class _Rows:
    """Fills matrix rows from (word, vector) pairs: exact forms first, folded forms after."""

    def __init__(self, itos: list[str], dim: int) -> None:
        self.stoi = {word: i for i, word in enumerate(itos) if i >= 2 and not _special(word)}
        self.matrix = np.zeros((len(itos), dim), dtype=np.float32)
        self.found = np.zeros(len(itos), dtype=bool)
        self.exact = np.zeros(len(itos), dtype=bool)

    def row(self, word: str) -> tuple[int, bool] | None:
        row = self.stoi.get(word)
        if row is not None:
            return row, True
        folded = fold(word)
        row = self.stoi.get(folded) if folded != word else None
        if row is not None and not self.exact[row]:
            return row, False
        return None

    def put(self, row: int, exact: bool, vector: np.ndarray) -> None:
        if self.found[row] and not exact:
            return  # an earlier folded match keeps its row; an exact match always wins
        self.matrix[row] = vector
        self.found[row] = True
        self.exact[row] |= exact


def _special(word: str) -> bool:
    return word.startswith("<") and word.endswith(">") and word in ("<pad>", "<unk>", "<bos>",
                                                                      "<eos>")


def fold(word: str) -> str:
    """The form training text has after cleaning: NFC, lowercase."""
    if not word.isascii():
        word = unicodedata.normalize("NFC", word)
    return word.lower()


# --- reading ---------------------------------------------------------------------------------

def detect_format(path: Path) -> str:
    """"binary" for `.bin`; otherwise "text" when one of the first lines after a header reads
    as a word and `dim` numbers (or there is no "count dim" header at all), else "binary"."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".bin"):
        return "binary"
    try:
        with _open(path) as handle:
            header = _header(handle.readline())
            sample = handle.read(1 << 16)
    except (OSError, EOFError, zlib.error):
        return "text"  # the reader reports the real problem
    if header is None:
        return "text"  # word2vec binary files always start with "count dim"
    for line in sample.split(b"\n")[:5]:
        parts = line.split()
        if len(parts) == header[1] + 1:
            try:
                [float(part) for part in parts[1:]]
            except ValueError:
                continue
            return "text"
    return "text" if _looks_like_text(sample) else "binary"


def _looks_like_text(sample: bytes) -> bool:
    """No control bytes and valid UTF-8 (a character cut at the sample's end allowed)."""
    if any(byte < 9 for byte in sample):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(sample) - 4
    return True


def _open(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=CHUNK)


def _check_dim(dim: int, name: str) -> None:
    if dim < 1:
        raise EmbeddingError(f"{name} does not start like a word-vector file (no vector "
                             "values on its first line).")
    if dim > MAX_DIM:
        raise EmbeddingError(f"{name} declares vectors of {dim:,} values; at most {MAX_DIM} "
                             "are supported.")


def _header(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return None


def read_vectors(path: str | os.PathLike[str], itos: list[str], format: str | None = None,
                 progress: Progress | None = None) -> Pretrained:
    """Stream `path` and keep the vectors of the words in `itos` (the vocabulary)."""
    source = Path(path)
    name = source.name
    if not source.is_file():
        raise EmbeddingError(f"Vector file {source} does not exist." if not source.exists()
                             else f"{source} is a folder, not a vector file.")
    if source.stat().st_size == 0:
        raise EmbeddingError(f"Vector file {name} is empty.")
    kind = format or detect_format(source)
    try:
        with open(source, "rb") as raw:
            handle: IO[bytes] = (gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
                                 if source.suffix.lower() == ".gz" else raw)
            size = source.stat().st_size
            reader = _read_binary if kind == "binary" else _read_text
            rows, report = reader(handle, raw, size, itos, str(source), progress)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise EmbeddingError(f"{name} is not a complete gzip file ({error}).") from error
    except OSError as error:
        raise EmbeddingError(f"Vector file {name} cannot be read ({error}).") from error
    _check_report(report, rows, itos)
    return Pretrained(rows.matrix, rows.found, str(source), report)


def _check_report(report: VectorFileReport, rows: _Rows, itos: list[str]) -> None:
    name = Path(report.path).name
    seen = report.vectors + report.broken
    if report.vectors == 0:
        problems = "; ".join(report.notes()) or "it holds no vectors"
        raise EmbeddingError(f"No usable vector in {name}: {problems}")
    if seen and report.broken / seen > MAX_BROKEN_SHARE:
        raise EmbeddingError(f"{report.broken:,} of {seen:,} lines of {name} are broken "
                             f"(wrong number of values, bad numbers or non-UTF-8 words; "
                             f"expected {report.dim} values per word); is it a word-vector "
                             "file of this format?")
    if not rows.found.any():
        words = len(rows.stoi)
        raise EmbeddingError(f"None of the {words:,} vocabulary words has a vector in {name} "
                             f"(it holds {report.vectors:,} vectors for other words); check "
                             "that it is for the same language and word segmentation.")


def _report_progress(progress: Progress | None, raw: IO[bytes], size: int, what: str) -> None:
    if progress is not None:
        progress.update(min(raw.tell(), size), size, what)


def _read_text(handle: IO[bytes], raw: IO[bytes], size: int, itos: list[str], path: str,
               progress: Progress | None) -> tuple[_Rows, VectorFileReport]:
    name = Path(path).name
    first = handle.readline()
    header = _header(first)
    pending: list[bytes] = []
    if header is not None:
        declared, dim = header
    else:
        declared, dim = None, len(first.split()) - 1
        pending.append(first)
    _check_dim(dim, name)
    rows = _Rows(itos, dim)
    report = VectorFileReport(path, "text", dim, declared)
    number = 1 if header is not None else 0

    def lines() -> Iterable[bytes]:
        yield from pending
        yield from handle

    for line in lines():
        number += 1
        if number % PROGRESS_EVERY == 0:
            _report_progress(progress, raw, size, f"Reading {name}")
        line = line.rstrip()
        if not line:
            continue
        values = line.count(b" ")
        if values != dim:
            values = len(line.split()) - 1  # other whitespace (tabs, double spaces)
            if values != dim:
                report.wrong_dimension += 1
                if report.first_wrong_line is None:
                    report.first_wrong_line, report.first_wrong_count = number, values
                continue
            parts = line.split()
            word_bytes, numbers = parts[0], parts[1:]
        else:
            cut = line.index(b" ")
            word_bytes, numbers = line[:cut], None
        target = _wanted(word_bytes, rows, report)
        if target is None:
            continue
        try:
            vector = np.array(numbers if numbers is not None else line[cut + 1:].split(),
                              dtype=np.float32)
        except ValueError:
            report.bad_numbers += 1
            continue
        _keep(vector, target, rows, report)
    return rows, report


def _read_binary(handle: IO[bytes], raw: IO[bytes], size: int, itos: list[str], path: str,
                 progress: Progress | None) -> tuple[_Rows, VectorFileReport]:
    """word2vec's binary layout: "count dim\\n", then per word `word<space>` and dim
    little-endian float32 values (some writers add a newline after each vector)."""
    name = Path(path).name
    header = _header(handle.readline())
    if header is None:
        raise EmbeddingError(f"{name} has no word2vec binary header (a line with the vector "
                             "count and dimension); is it a text vector file?")
    declared, dim = header
    _check_dim(dim, name)
    rows = _Rows(itos, dim)
    report = VectorFileReport(path, "binary", dim, declared)
    width = dim * 4
    buffer, pos, records = b"", 0, 0
    while True:
        space = buffer.find(b" ", pos)
        while space < 0 or len(buffer) - space - 1 < width:
            more = handle.read(CHUNK)
            if not more:
                break
            buffer, pos = buffer[pos:] + more, 0
            space = buffer.find(b" ", pos)
        if space < 0 or len(buffer) - space - 1 < width:
            report.truncated = bool(buffer[pos:].strip())
            break
        records += 1
        if records % PROGRESS_EVERY == 0:
            _report_progress(progress, raw, size, f"Reading {name}")
        word_bytes = buffer[pos:space].lstrip(b"\n")
        start = space + 1
        pos = start + width
        target = _wanted(word_bytes, rows, report)
        if target is not None:
            _keep(np.frombuffer(buffer, dtype="<f4", count=dim, offset=start), target, rows,
                  report)
    return rows, report


def _wanted(word_bytes: bytes, rows: _Rows, report: VectorFileReport
            ) -> tuple[int, bool] | None:
    """The vocabulary row(s) a record's word fills, or None (the record is then counted: a
    vector of a word outside the vocabulary, or a word that is not UTF-8) and not parsed."""
    try:
        word = word_bytes.decode("utf-8")
    except UnicodeDecodeError:
        report.undecodable += 1
        return None
    target = rows.row(word)
    if target is None:
        report.vectors += 1
    return target


def _keep(vector: np.ndarray, target: tuple[int, bool], rows: _Rows,
          report: VectorFileReport) -> None:
    """Store a parsed vector in its rows unless it holds NaN or infinity (counted)."""
    if not np.isfinite(vector).all():
        report.bad_numbers += 1
        return
    report.vectors += 1
    rows.put(*target, vector)


def from_word_vectors(pairs: Iterable[tuple[str, np.ndarray]], itos: list[str], dim: int,
                      source: str) -> Pretrained:
    """Vectors already in memory (e.g. word2vec just trained) in vocabulary order."""
    rows = _Rows(itos, dim)
    for word, vector in pairs:
        target = rows.row(word)
        if target is not None:
            rows.put(*target, np.asarray(vector, dtype=np.float32))
    if not rows.found.any():
        raise EmbeddingError(f"None of the {len(rows.stoi):,} vocabulary words has a vector "
                             f"in {source}.")
    return Pretrained(rows.matrix, rows.found, source)


