"""Filtering the Data tab's document table: 50,000 rows, the filters a user types.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_table_filter.py [--rows N] [--repeat R]

Builds the synthetic documents of tests/gui/test_data_tab.py (which checks what the filters
return, not how fast), indexes them once, then times `DocumentTableModel.set_filter` for a
rare word, a common word, a label and split selection, and clearing the filter. Each figure is
the median of R runs in this one process. Target: every filter under 100 ms, so typing in the
search box never stalls the window. A readable table goes to stderr; stdout is one JSON object
{"rows": 50000, "repeat": 7, "filters": {"rare word": {"median_ms": ..., "rows": 50}, ...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 100.0


def synthetic(n: int):
    """The test's own documents (tests/gui/test_data_tab.py), so both look at the same data."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "gui"))
    from test_data_tab import synthetic as test_documents

    return test_documents(n).documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication

    from lstm_studio.gui.widgets.document_model import DocumentIndex, DocumentTableModel

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 (keeps Qt alive)
    model = DocumentTableModel()
    started = time.perf_counter()
    model.set_index(DocumentIndex.build(synthetic(args.rows)))
    index_s = time.perf_counter() - started
    filters = {
        "rare word": {"text": "NEEDLE_word"},
        "common word": {"text": "quán"},
        "label and split": {"text": "", "label": "neg", "split": "valid"},
        "word, label and split": {"text": "phở", "label": "pos", "split": "train"},
        "cleared": {"text": ""},
    }
    figures: dict[str, dict[str, float]] = {}
    for name, kwargs in filters.items():
        times = []
        for _ in range(args.repeat):
            model.set_filter("zzz-nothing")  # start each run from a different filter
            started = time.perf_counter()
            model.set_filter(**kwargs)
            times.append(time.perf_counter() - started)
        median_ms = statistics.median(times) * 1000
        figures[name] = {"median_ms": round(median_ms, 2), "max_ms": round(max(times) * 1000, 2),
                         "rows": model.rowCount()}
        print(f"{name:<22} {median_ms:8.1f} ms  ({model.rowCount():,} rows)", file=sys.stderr)
    worst = max(figure["median_ms"] for figure in figures.values())
    print(f"index {index_s:.2f} s; slowest filter {worst:.1f} ms (target < {TARGET_MS:.0f} ms)",
          file=sys.stderr)
    print(json.dumps({"rows": args.rows, "repeat": args.repeat, "index_s": round(index_s, 3),
                      "filters": figures, "target_ms": TARGET_MS,
                      "meets_target": worst < TARGET_MS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
