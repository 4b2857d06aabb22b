"""A big synthetic review corpus written on the fly, for the GUI's large-corpus test and
bench/bench_gui_big_corpus.py (no test here).

Short word-segmented reviews with two or three labels, one JSON object per line; document
number `i` ends with the marker `doc_{i}` so a test can tell the last document from the rest.
Deterministic and quick: 200,000 lines take well under a second to write.
"""

from __future__ import annotations

import json
from pathlib import Path

WORDS = ("ngon", "dở", "quán", "nhân_viên", "giá", "rẻ", "đắt", "sạch_sẽ", "phở", "bún_chả",
         "phục_vụ", "nhanh", "chậm", "không_gian", "đẹp", "ồn_ào", "món", "lắm", "quá", "tốt")
LABELS = ("pos", "neg", "neutral")


def marker(number: int) -> str:
    """The last token of document `number` (0-based)."""
    return f"doc_{number}"


def write_reviews_jsonl(path: Path, documents: int, labels: int = 3) -> Path:
    """Write `documents` reviews to `path` (JSONL: text, label); returns `path`."""
    if not 2 <= labels <= len(LABELS):
        raise ValueError(f"labels must be 2..{len(LABELS)}")
    count = len(WORDS)
    with path.open("w", encoding="utf-8") as handle:
        lines = []
        for number in range(documents):
            length = 6 + number % 23
            words = [WORDS[(number * 7 + k * 3 + k * k) % count] for k in range(length)]
            words.append(marker(number))
            lines.append(json.dumps({"text": " ".join(words),
                                     "label": LABELS[number % labels]}, ensure_ascii=False))
            if len(lines) == 10_000:
                handle.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            handle.write("\n".join(lines) + "\n")
    return path
