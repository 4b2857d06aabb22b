"""The fastText format: one document per line, `__label__pos the text`.

A line may carry several `__label__` prefixes; the first is the document's label (LSTM Studio
trains single-label classifiers) and the source notes how many lines had more.
"""

from __future__ import annotations

from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import Record, SourceRead, Tick
from lstm_studio.core.wording import plural

PREFIX = "__label__"


def looks_like_fasttext(text: str, sample: int = 20) -> bool:
    """True when the first non-empty lines (up to `sample`) all start with `__label__`."""
    seen = 0
    for line in text.split("\n", 200):
        if not line.strip():
            continue
        if not line.lstrip().startswith(PREFIX):
            return False
        seen += 1
        if seen >= sample:
            break
    return seen > 0


def read_fasttext(path: Path, text: str, tick: Tick,
                  budget: ReadBudget | None = None) -> SourceRead:
    budget = budget or ReadBudget()
    records: list[Record] = []
    multi = 0
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        words = line.split(" ")
        labels = []
        while words and (words[0].startswith(PREFIX) or not words[0]):
            if words[0]:
                labels.append(words[0][len(PREFIX):])
            words.pop(0)
        if not labels or not labels[0]:
            raise DataError(
                f"{path.name}:line {number} has no {PREFIX}<name> label at the start."
            )
        multi += len(labels) > 1
        records.append((budget.document_text(" ".join(words).strip()), labels[0], None,
                        f"{path.name}:line {number}"))
        if number % 10000 == 0:
            tick(number, len(lines))
    notes = ([f"{plural(multi, 'line')} had several labels; the first one was used"]
             if multi else [])
    return SourceRead(kind="fasttext", records=records, notes=notes)
