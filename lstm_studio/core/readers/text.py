"""A plain .txt corpus for language modelling: documents without labels.

Documents are paragraphs separated by blank lines; a file with no blank line at all has one
document per line. (A corpus of one sentence per line and a book of wrapped paragraphs both
come out the way their authors meant.) Which of the two a file is takes a first pass over
its lines (it stops at the first blank line between paragraphs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from itertools import chain
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import Located
from lstm_studio.core.readers.lines import Line, LineFile

_BLANK = re.compile(r"[ \t]*")  # a line that separates paragraphs
_PARAGRAPH_NOTE = "one document per paragraph (blank lines separate documents)"
_LINE_NOTE = "one document per line (the file has no blank lines)"
# (path, size, mtime_ns) -> paragraphs? so fetching documents does not rescan the file.
_MODES: dict[tuple[str, int, int], bool] = {}


def has_paragraphs(lines: Iterable[Line]) -> bool:
    """True when a blank line stands between two lines that hold text."""
    content = blank_after = False
    for _number, _offset, line in lines:
        if line.strip():
            if blank_after:
                return True
            content = True
        elif content and _BLANK.fullmatch(line):
            blank_after = True
    return False


class Corpus:
    """A text corpus as a stream of located documents (paragraphs or lines)."""

    kind = "text"

    def __init__(self, source: LineFile, path: Path, budget: ReadBudget) -> None:
        self.source, self.path, self.budget = source, path, budget
        self.notes: list[str] = []

    def progress(self) -> tuple[int, int]:
        return self.source.progress()

    def _paragraphs(self) -> bool:
        info = os.stat(self.path)
        key = (str(self.path), info.st_size, info.st_mtime_ns)
        if key not in _MODES:
            if len(_MODES) > 64:
                _MODES.clear()
            with closing(self.source.lines()) as lines:
                _MODES[key] = has_paragraphs(lines)
        return _MODES[key]

    def __iter__(self) -> Iterator[Located]:
        paragraphs = self._paragraphs()
        self.notes = [_PARAGRAPH_NOTE if paragraphs else _LINE_NOTE]
        lines = self.source.lines(self.budget)
        found = yield from (self._by_paragraph(lines) if paragraphs else self._by_line(lines))
        if not found:
            raise DataError(f"{self.path} is empty.")

    def _by_line(self, lines: Iterable[Line]) -> Generator[Located, None, int]:
        name, budget = self.path.name, self.budget
        found = 0
        for number, offset, line in lines:
            if line.strip():
                yield (budget.document_text(line.strip()), None, None, f"{name}:line {number}",
                       None, offset, number)
                found += 1
        return found

    def _by_paragraph(self, lines: Iterable[Line]) -> Generator[Located, None, int]:
        name, budget = self.path.name, self.budget
        found = 0
        block: list[str] = []
        start_offset = start_line = 0
        for number, offset, line in chain(lines, [(0, 0, "")]):
            if not _BLANK.fullmatch(line):
                if not block:
                    start_offset, start_line = offset, number
                block.append(line)
                continue
            text = "\n".join(block).strip()
            block = []
            if text:
                found += 1
                yield (budget.document_text(text), None, None, f"{name}:paragraph {found}",
                       None, start_offset, start_line)
        return found

    def fetch(self, offset: int, line: int, budget: ReadBudget) -> str:
        with closing(self.source.lines(None, offset, line)) as lines:
            if not self._paragraphs():
                for _number, _offset, text in lines:
                    return budget.document_text(text.strip())
                return ""
            block: list[str] = []
            for _number, _offset, text in lines:
                if _BLANK.fullmatch(text):
                    break
                block.append(text)
        return budget.document_text("\n".join(block).strip())
