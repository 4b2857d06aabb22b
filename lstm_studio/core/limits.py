"""Input budgets: what one load of data, one model file or one project file may cost.

Outside data is never trusted to be small: a 3 MB zip can declare (or hide) a 3 GB document,
a CSV can hold a single 50 MB line, a model file can claim a hidden size of a million. Every
place where data enters the app checks it here *before* spending memory on it, so the rule
for each budget lives in one small function that every reader calls (and that streaming
readers can keep calling). Going over a budget is a DataError naming the budget and the
command-line flag that raises it; the one exception is a document longer than its budget,
which is cut to its first `max_document_bytes` and counted in the source's notes.

Nothing is ever written from an archive: members are only read, in memory, within budget.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from lstm_studio.core.errors import DataError, UserError

MB = 1024 * 1024

# Below this much expanded data an archive cannot hurt, whatever its ratio: a tiny zip of one
# repetitive text file is not a bomb.
RATIO_FLOOR_BYTES = 64 * MB


@dataclass(frozen=True)
class InputLimits:
    """The budgets, with defaults that fit a student's laptop; each has a CLI flag."""

    max_document_bytes: int = 4 * MB  # longer documents are cut to this and counted
    max_total_bytes: int = 1024 * MB  # bytes read (decompressed) from all sources of one load
    max_ratio: float = 100.0  # expanded / compressed size of an archive's documents
    max_entries: int = 500_000  # members of one archive, files of one folder
    max_depth: int = 32  # folder levels inside an archive or a folder
    max_labels: int = 1000  # distinct labels of a labelled dataset
    max_model_bytes: int = 4096 * MB  # size of a model file
    max_project_bytes: int = 16 * MB  # size of a project file


# The flag that raises each budget (every command that reads data has them).
FLAGS: dict[str, str] = {
    "max_document_bytes": "--max-document-mb",
    "max_total_bytes": "--max-total-mb",
    "max_ratio": "--max-ratio",
    "max_entries": "--max-entries",
    "max_depth": "--max-depth",
    "max_labels": "--max-labels",
    "max_model_bytes": "--max-model-mb",
}


def size_text(size: float) -> str:
    """Bytes as people read them: '512 bytes', '4.0 MB', '3.0 GB'."""
    if size < 1024:
        return f"{int(size)} bytes"
    for unit, scale in (("TB", MB * MB), ("GB", 1024 * MB), ("MB", MB), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{int(size)} bytes"  # unreachable


def raise_hint(budget: str) -> str:
    flag = FLAGS.get(budget)
    return f" ({flag} raises it)" if flag else ""


def check_file_size(size: int, limit: int, what: str, budget: str,
                    error: type[UserError] = DataError) -> None:
    """Refuse a file before reading it when its size on disk is over `limit`."""
    if size > limit:
        raise error(f"{what} is {size_text(size)}, more than the {size_text(limit)} "
                    f"limit{raise_hint(budget)}.")


def cut_text(text: str, limit: int) -> str | None:
    """`text` cut to at most `limit` UTF-8 bytes at a character boundary, or None when it fits.

    Cheap for the usual case: a string of n characters takes at most 4n UTF-8 bytes, so only
    strings longer than limit/4 characters are ever encoded to be measured.
    """
    if len(text) * 4 <= limit:
        return None
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return None
    return codecs.getincrementaldecoder("utf-8")("ignore").decode(data[:limit], final=False)


class ReadBudget:
    """One load's running account: bytes read so far and documents cut, against the limits."""

    def __init__(self, limits: InputLimits | None = None) -> None:
        self.limits = limits or InputLimits()
        self.total = 0
        self.cut = 0  # documents cut since the last `take_cut_note`

    # --- bytes -----------------------------------------------------------------------------
    def remaining(self) -> int:
        return max(0, self.limits.max_total_bytes - self.total)

    def check_file(self, size: int, where: str, verb: str = "is") -> None:
        """A whole file is about to be read: refuse it when it cannot fit what is left."""
        if size > self.remaining():
            limit = self.limits.max_total_bytes
            already = f" ({size_text(self.total)} already read)" if self.total else ""
            raise DataError(f"{where} {verb} {size_text(size)}, more than the {size_text(limit)} "
                            f"one load may read{already}{raise_hint('max_total_bytes')}.")

    def charge(self, size: int, where: str) -> None:
        """Count bytes actually read; going over the total budget stops the load."""
        self.total += size
        if self.total > self.limits.max_total_bytes:
            limit = size_text(self.limits.max_total_bytes)
            raise DataError(f"Reading {where} went past the {limit} one load may read"
                            f"{raise_hint('max_total_bytes')}.")

    # --- documents -------------------------------------------------------------------------
    def took(self, data: bytes, cut: bool, where: str) -> None:
        """A reader read a document's bytes itself, stopping at the per-document budget
        (`cut`) or not: count them against the total and the cut ones in the notes."""
        self.charge(len(data), where)
        if cut:
            self.cut += 1

    def document_text(self, text: str) -> str:
        """A decoded document, cut to the per-document budget (and counted when cut)."""
        shorter = cut_text(text, self.limits.max_document_bytes)
        if shorter is None:
            return text
        self.cut += 1
        return shorter

    def take_cut_note(self) -> str | None:
        """The note for the source just read ('2 documents were cut ...'), then reset."""
        count, self.cut = self.cut, 0
        if not count:
            return None
        limit = size_text(self.limits.max_document_bytes)
        what = "document was" if count == 1 else "documents were"
        their = "its" if count == 1 else "their"
        return (f"{count} {what} longer than {limit} and cut to {their} first {limit}"
                f"{raise_hint('max_document_bytes')}")

    # --- archives and folders --------------------------------------------------------------
    def check_entries(self, count: int, where: str, unit: str = "entries") -> None:
        if count > self.limits.max_entries:
            raise DataError(f"{where} holds {count:,} {unit}, more than the "
                            f"{self.limits.max_entries:,} limit{raise_hint('max_entries')}.")

    def check_depth(self, name: str, where: str) -> None:
        """Refuse a path with more folder levels than the budget ('a/b/c.txt' has 2)."""
        depth = name.count("/")
        if depth > self.limits.max_depth:
            raise DataError(f"{where} holds a file {depth} folders deep, more than the "
                            f"{self.limits.max_depth} limit{raise_hint('max_depth')}.")

    def check_expansion(self, expanded: int, packed: int, where: str) -> None:
        """Refuse an archive whose documents would expand like a decompression bomb.

        `expanded` is what the archive declares for the members that would be read; each is
        also capped while it is read, so a member that lies about its size gains nothing.
        """
        limit = self.limits.max_ratio
        if expanded <= RATIO_FLOOR_BYTES or expanded <= limit * max(1, packed):
            return
        ratio = expanded / max(1, packed)
        raise DataError(
            f"{where} would expand {ratio:,.0f}-fold ({size_text(packed)} to "
            f"{size_text(expanded)}), more than the {limit:g}-fold limit for archives, so it "
            f"is refused as a likely decompression bomb{raise_hint('max_ratio')}.")

    # --- labels ----------------------------------------------------------------------------
    def check_labels(self, count: int) -> None:
        if count > self.limits.max_labels:
            raise DataError(
                f"The data has {count:,} distinct labels, more than the "
                f"{self.limits.max_labels:,} limit{raise_hint('max_labels')}; is the label "
                "column really a label (name it with --label-column)? A classifier needs "
                "several documents per label; for text without classes, choose the "
                "language-model task.")
