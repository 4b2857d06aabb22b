"""A plain .txt corpus for language modelling: documents without labels.

Documents are paragraphs separated by blank lines; a file with no blank line at all has one
document per line. (A corpus of one sentence per line and a book of wrapped paragraphs both
come out the way their authors meant.)
"""

from __future__ import annotations

import re
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import Record, SourceRead

_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def read_corpus(path: Path, text: str, budget: ReadBudget | None = None) -> SourceRead:
    budget = budget or ReadBudget()
    records: list[Record] = []
    if _BLANK_LINES.search(text.strip()):
        unit, number = "paragraph", 0
        for block in _BLANK_LINES.split(text):
            if block.strip():
                number += 1
                records.append((budget.document_text(block.strip()), None, None,
                                f"{path.name}:paragraph {number}"))
    else:
        unit = "line"
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                records.append((budget.document_text(line.strip()), None, None,
                                f"{path.name}:line {number}"))
    if not records:
        raise DataError(f"{path} is empty.")
    note = ("one document per paragraph (blank lines separate documents)" if unit == "paragraph"
            else "one document per line (the file has no blank lines)")
    return SourceRead(kind="text", records=records, notes=[note])
