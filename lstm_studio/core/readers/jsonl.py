"""JSON Lines (one object per line), plus a .json file holding one array of such objects.

Keys are matched like CSV headers (text/review/content/..., label/sentiment/..., split).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import (
    LABEL_COLUMNS,
    SPLIT_COLUMNS,
    TEXT_COLUMNS,
    Located,
    Record,
    clean_label,
    split_alias,
)
from lstm_studio.core.readers.lines import LineFile

# JSON escapes can spell "\ud800" alone, which no encoding can write back out.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _checked(value: str, where: str, key: str) -> str:
    found = _SURROGATE.search(value)
    if found:
        raise DataError(f"{where} has a '{key}' field holding \\u{ord(found.group()):04x}, half "
                        "of a UTF-16 surrogate pair, which is not a character.")
    return value


def _key(obj: dict[str, Any], wanted: str | None, candidates: tuple[str, ...]) -> str | None:
    lowered = {str(key).strip().lower(): key for key in obj}
    if wanted:
        return lowered.get(wanted.strip().lower())
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _record(obj: Any, where: str, text_key: str | None, label_key: str | None) -> Record:
    if not isinstance(obj, dict):
        raise DataError(f"{where} is not a JSON object.")
    key = _key(obj, text_key, TEXT_COLUMNS)
    if key is None:
        named = f"named '{text_key}'" if text_key else f"({', '.join(TEXT_COLUMNS[:4])}...)"
        raise DataError(
            f"{where} has no text field {named}; its fields are: {', '.join(map(str, obj))}."
        )
    text = obj[key]
    if not isinstance(text, str):
        raise DataError(f"{where} has a '{key}' field that is not a string.")
    _checked(text, where, key)
    label_name = _key(obj, label_key, LABEL_COLUMNS)
    label = clean_label(obj[label_name]) if label_name is not None else None
    if label is not None:
        _checked(label, where, str(label_name))
    split_name = _key(obj, None, SPLIT_COLUMNS)
    split = None
    if split_name is not None and obj[split_name] not in (None, ""):
        split = split_alias(str(obj[split_name]))
        if split is None:
            raise DataError(
                f"{where} has split '{obj[split_name]}', which is not train, valid (val, dev) "
                "or test."
            )
    return (text.strip(), label, split, where)


def _capped(record: Record, budget: ReadBudget) -> Record:
    text, label, split, where = record
    return (budget.document_text(text), label, split, where)


class JsonLines:
    """A JSON Lines file as a stream of located records (offset and line of each object).

    A `.json` file holding one array is not streamable: it is parsed whole (json cannot parse
    an array piecemeal), its items are located by their number (`offset` = item number,
    `line` = 0) and fetching one item again parses the file again.
    """

    kind = "jsonl"

    def __init__(self, source: LineFile, path: Path, suffix: str, text_key: str | None,
                 label_key: str | None, budget: ReadBudget) -> None:
        self.source, self.path, self.suffix = source, path, suffix
        self.text_key, self.label_key, self.budget = text_key, label_key, budget
        self.notes: list[str] = []

    def progress(self) -> tuple[int, int]:
        return self.source.progress()

    def _is_array(self) -> bool:
        if self.suffix != ".json":
            return False
        with closing(self.source.lines()) as lines:
            for _number, _offset, line in lines:
                stripped = line.lstrip()
                if stripped:
                    return stripped.startswith("[")
        return False

    def _items(self, budget: ReadBudget | None) -> list[Any]:
        text = "\n".join(line for _number, _offset, line in self.source.lines(budget))
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{self.path} is not valid JSON (line {error.lineno}: "
                            f"{error.msg}).") from error
        return items

    def _item(self, item: Any, number: int, budget: ReadBudget) -> Record:
        return _capped(_record(item, f"{self.path.name}:item {number}", self.text_key,
                               self.label_key), budget)

    def _line(self, line: str, number: int, budget: ReadBudget) -> Record:
        where = f"{self.path.name}:line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{where} is not valid JSON ({error.msg}).") from error
        return _capped(_record(obj, where, self.text_key, self.label_key), budget)

    def __iter__(self) -> Iterator[Located]:
        count = 0
        budget = self.budget
        if self._is_array():
            for number, item in enumerate(self._items(budget), start=1):
                yield (*self._item(item, number, budget), None, number, 0)
                count += 1
        else:
            for number, offset, line in self.source.lines(budget):
                if line.strip():
                    yield (*self._line(line, number, budget), None, offset, number)
                    count += 1
        if not count:
            raise DataError(f"{self.path} contains no JSON records.")

    def fetch(self, offset: int, line: int, budget: ReadBudget) -> str:
        """The text of the record at (`offset`, `line`) as the stream gave it."""
        if line == 0:
            return self._item(self._items(None)[offset - 1], offset, budget)[0]
        with closing(self.source.lines(None, offset, line)) as lines:
            for number, _offset, text in lines:
                return self._line(text, number, budget)[0]
        raise DataError(f"{self.path} has no line {line} any more; read it again.")
