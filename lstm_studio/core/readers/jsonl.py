"""JSON Lines (one object per line), plus a .json file holding one array of such objects.

Keys are matched like CSV headers (text/review/content/..., label/sentiment/..., split).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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
    split_alias,
)

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


def read_jsonl(path: Path, data: bytes, encoding: str | None, text_key: str | None,
               label_key: str | None, tick: Tick,
               budget: ReadBudget | None = None) -> SourceRead:
    budget = budget or ReadBudget()
    text = decode(data, str(path), encoding)
    records: list[Record] = []
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{path} is not valid JSON (line {error.lineno}: {error.msg}).") \
                from error
        for number, item in enumerate(items, start=1):
            records.append(_capped(_record(item, f"{path.name}:item {number}", text_key,
                                           label_key), budget))
    else:
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:line {number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{where} is not valid JSON ({error.msg}).") from error
            records.append(_capped(_record(obj, where, text_key, label_key), budget))
            if number % 5000 == 0:
                tick(number, len(lines))
    if not records:
        raise DataError(f"{path} contains no JSON records.")
    return SourceRead(kind="jsonl", records=records)
