"""The fastText format: one document per line, `__label__pos the text`.

A line may carry several `__label__` prefixes; the first is the document's label (LSTM Studio
trains single-label classifiers) and the source notes how many lines had more.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import Located
from lstm_studio.core.readers.lines import Line, LineFile
from lstm_studio.core.wording import plural

PREFIX = "__label__"


def looks_like_fasttext(lines: Iterable[Line], sample: int = 20) -> bool:
    """True when the first non-empty lines (up to `sample`, and none past the first one after
    line 200) all start with `__label__`."""
    seen = 0
    for number, _offset, line in lines:
        if not line.strip():
            continue
        if not line.lstrip().startswith(PREFIX):
            return False
        seen += 1
        if seen >= sample or number > 200:
            break
    return seen > 0


def parse_line(line: str, where: str) -> tuple[str, str, int]:
    """(text, first label, how many labels) of one non-blank line."""
    words = line.split(" ")
    labels = []
    while words and (words[0].startswith(PREFIX) or not words[0]):
        if words[0]:
            labels.append(words[0][len(PREFIX):])
        words.pop(0)
    if not labels or not labels[0]:
        raise DataError(f"{where} has no {PREFIX}<name> label at the start.")
    return " ".join(words).strip(), labels[0], len(labels)


class FastText:
    """A fastText file as a stream of located lines."""

    kind = "fasttext"

    def __init__(self, source: LineFile, path: Path, budget: ReadBudget) -> None:
        self.source, self.path, self.budget = source, path, budget
        self.notes: list[str] = []

    def progress(self) -> tuple[int, int]:
        return self.source.progress()

    def __iter__(self) -> Iterator[Located]:
        name, budget = self.path.name, self.budget
        multi = 0
        for number, offset, line in self.source.lines(budget):
            if not line.strip():
                continue
            where = f"{name}:line {number}"
            text, label, labels = parse_line(line, where)
            multi += labels > 1
            yield budget.document_text(text), label, None, where, None, offset, number
        self.notes = ([f"{plural(multi, 'line')} had several labels; the first one was used"]
                      if multi else [])

    def fetch(self, offset: int, line: int, budget: ReadBudget) -> str:
        with closing(self.source.lines(None, offset, line)) as lines:
            for number, _offset, text in lines:
                return budget.document_text(
                    parse_line(text, f"{self.path.name}:line {number}")[0])
        raise DataError(f"{self.path} has no line {line} any more; read it again.")
