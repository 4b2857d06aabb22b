"""Event-loop stalls while the window takes a 200,000-document JSONL file (issue 15).

Writes a synthetic corpus of short reviews (tests/big_corpus.py) to a temporary folder, drops
it on the window as a user would, scrolls the document table to the last row, shows the Clean
tab, shows the Vocabulary tab (which builds the vocabulary), goes back to the Data tab, sorts
the table by text and filters it, and, with
`--clean`, runs the cleaning too. With `--store` the Data tab's "Train from" is set to the
on-disk store before the drop, so the window browses the corpus from its token store instead
of memory. A 10 ms QTimer heartbeat measures the gaps between ticks: a gap far above 10 ms
means the GUI thread was blocked. Prints one JSON object with the max gap and p99 per phase
and overall (target: max <= 100 ms), and the window process's resident memory after the
load (all of it, and less the memory-mapped files) and at its peak (Linux). Run:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_big_corpus.py [--documents N]
        [--clean] [--store] [-v]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_gui_responsiveness import TARGET_MS, GcWatch, Probe, settle

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from big_corpus import write_reviews_jsonl  # noqa: E402


def memory_mb(key: str) -> float | None:
    """VmRSS (now), RssAnon (now, less file-backed pages) or VmHWM (peak) of this process
    in MB, where Linux reports them."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def gap_figures(gaps: list[float]) -> dict[str, float | int]:
    ordered = sorted(gaps)
    p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0
    return {"ticks": len(ordered), "max_ms": round(ordered[-1] if ordered else 0.0, 1),
            "p99_ms": round(p99, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--clean", action="store_true", help="also run the cleaning")
    parser.add_argument("--store", action="store_true",
                        help="browse the corpus from its on-disk token store")
    parser.add_argument("-v", action="store_true", help="print every stall as it happens")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["LSTM_STUDIO_SETTINGS"] = str(folder / "settings.ini")
    os.environ["LSTM_STUDIO_HOME"] = str(folder / "home")
    began = time.perf_counter()
    corpus = write_reviews_jsonl(folder / "big.jsonl", args.documents)
    written_s = time.perf_counter() - began

    from PySide6.QtCore import QEventLoop

    from lstm_studio.app import create_application

    app = create_application()
    from lstm_studio.gui import dialogs
    from lstm_studio.gui.main_window import MainWindow
    from lstm_studio.gui.self_test import run_task

    dialogs.responder = lambda call: print(f"dialog: {call.kind}: {call.text}",
                                           file=sys.stderr)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    settle(1.0)  # the window sits idle a moment, as while a user reaches for a file
    probe = Probe()
    gc_watch = GcWatch()
    tab = window.data_tab
    clean_tab, vocab_tab = window.tab("Clean"), window.tab("Vocabulary")
    phases: dict[str, dict[str, float | int]] = {}
    every: list[float] = []

    def measure(name: str, action: object) -> None:
        probe.start()
        start = time.perf_counter()
        action()  # type: ignore[operator]
        settle(0.5)  # the result's first repaint belongs to this phase
        gaps = probe.stop()
        every.extend(gaps)
        phases[name] = {**gap_figures(gaps), "seconds": round(time.perf_counter() - start, 2)}
        if probe.verbose:
            print(f"  {name}: {gc_watch.worst()}", file=sys.stderr)
        gc_watch.passes.clear()

    if args.store:
        tab.store_choice.combo.setCurrentIndex(tab.store_choice.combo.findData("on"))
    memory: dict[str, float | None] = {}

    def load() -> None:
        run_task(lambda done: tab.load_paths([str(corpus)], on_done=done), "load", 3600, tab)
        memory["after_load_mb"] = memory_mb("VmRSS")
        # without the store's memory-mapped pages, which the kernel can drop at will
        memory["after_load_anon_mb"] = memory_mb("RssAnon")

    def scroll() -> None:
        tab.table.scrollToBottom()
        app.processEvents()

    def show_clean() -> None:
        window.tabs.setCurrentWidget(clean_tab)
        app.processEvents()

    def show_vocabulary() -> None:  # shown with new data, the tab builds by itself
        loop = QEventLoop()
        vocab_tab.built.connect(loop.quit)
        window.tabs.setCurrentWidget(vocab_tab)
        loop.exec()
        vocab_tab.built.disconnect(loop.quit)

    def clean() -> None:
        window.tabs.setCurrentWidget(clean_tab)
        run_task(clean_tab.run_cleaning, "clean", 3600, clean_tab)

    def sort_table() -> None:  # by text, descending: in the background above 50,000 rows
        from PySide6.QtCore import Qt

        tab.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        while tab.is_filtering():
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        settle(0.2)
        tab.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)

    def show_data() -> None:
        window.tabs.setCurrentWidget(tab)
        app.processEvents()

    def filter_table() -> None:
        for text in ("ngon", "doc_199999", "phục_vụ nhanh", ""):
            tab.search.setText(text)
            tab.apply_filter()
            app.processEvents()

    steps = [("load", load), ("scroll", scroll), ("clean_tab", show_clean),
             ("vocabulary", show_vocabulary), ("data_tab", show_data), ("sort", sort_table),
             ("filter", filter_table)]
    if args.clean:
        steps.append(("clean", clean))
    for name, action in steps:
        measure(name, action)
    overall = gap_figures(every)
    result = {
        "documents": len(window.state.dataset or []),
        "browsed_from": "store" if window.state.store is not None else "memory",
        "corpus_mb": round(corpus.stat().st_size / 1e6, 1),
        "written_s": round(written_s, 2),
        "max_stall_ms": overall["max_ms"],
        "p99_gap_ms": overall["p99_ms"],
        "target_ms": TARGET_MS,
        "ok": overall["max_ms"] <= TARGET_MS,
        "phases": phases,
        **memory,
        "peak_mb": memory_mb("VmHWM"),
    }
    print(json.dumps(result, indent=2))
    window.shutdown_tabs()
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
