"""Time the cleaning pipeline (all steps + language detection) on the 50,000 NTC-SCV reviews.

    .venv/bin/python bench/bench_clean.py [--workers N] [--limit DOCS] [--repeat R]

Runs the same pipeline in one process and then on N worker processes (default: all cores),
in this one process so both see the same machine, and prints seconds, documents per second
and the speed-up. langid's model is loaded once beforehand (a GUI session does that once)
and its load time is printed separately; the parallel figure includes starting the workers.
With --repeat, the two runs alternate R times and the best time of each is kept (the machine
this project is built on is shared, so single timings are noisy).
Exits 0 without timing anything when ../shared/data/ntc-scv is absent.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ntc_scv import NTC_SCV_DIR, NTC_SCV_ZIPS, zips_present  # noqa: E402

from lstm_studio.core.cleaning import clean_dataset, default_workers  # noqa: E402
from lstm_studio.core.config import CleaningConfig  # noqa: E402
from lstm_studio.core.language import load_model  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--limit", type=int, default=None, help="use only the first DOCS")
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs, keep the best")
    parser.add_argument("--langid-docs", type=int, default=2000,
                        help="also time langid's own classify against ours on this many")
    args = parser.parse_args()
    if not zips_present():
        print(f"skipped: NTC-SCV zips not found under {NTC_SCV_DIR}")
        return 0
    from lstm_studio.core.readers import load_sources

    dataset = load_sources([str(path) for path in NTC_SCV_ZIPS])
    if args.limit:
        dataset = dataset.with_documents(dataset.documents[: args.limit])
    started = time.perf_counter()
    load_model()
    print(f"langid model load: {time.perf_counter() - started:.2f} s (once per process)")
    config = CleaningConfig()
    timings: dict[int, float] = {}
    cpu: dict[int, float] = {}
    outputs = {}
    for _ in range(max(1, args.repeat)):
        for workers in (1, args.workers):
            started, cpu_started = time.perf_counter(), cpu_seconds()
            result = clean_dataset(dataset, config, workers=workers)
            seconds = time.perf_counter() - started
            used = cpu_seconds() - cpu_started
            timings[workers] = min(seconds, timings.get(workers, seconds))
            cpu[workers] = min(used, cpu.get(workers, used))
            outputs[workers] = result.dataset.documents
            print(f"workers={workers:<3} {seconds:6.2f} s  {len(dataset) / seconds:8,.0f} docs/s  "
                  f"CPU {used:6.2f} s  kept {result.report.kept:,}, "
                  f"dropped {result.report.dropped_counts()}")
    same = outputs[1] == outputs[args.workers]
    print(f"best: 1 worker {timings[1]:.2f} s, {args.workers} workers "
          f"{timings[args.workers]:.2f} s ({len(dataset) / timings[args.workers]:,.0f} docs/s)")
    print(f"speed-up with {args.workers} workers: {timings[1] / timings[args.workers]:.2f}x "
          f"(identical output: {same}); cores: {os.cpu_count()}")
    # On a machine busy with other work the wall-clock ratio says little; the CPU time the
    # workers needed in all says what the speed-up would be on idle cores.
    print(f"CPU time, all processes: 1 worker {cpu[1]:.2f} s, {args.workers} workers "
          f"{cpu[args.workers]:.2f} s; speed-up on {args.workers} idle cores would be about "
          f"{args.workers * cpu[1] / cpu[args.workers]:.2f}x")
    if args.langid_docs:
        compare_langid([doc.text for doc in outputs[1][: args.langid_docs]])
    return 0


def compare_langid(texts: list[str]) -> None:
    """langid's own classify against LanguageDetector on the same cleaned texts, one core."""
    from langid.langid import LanguageIdentifier
    from langid.langid import model as model_string

    from lstm_studio.core.language import LanguageDetector

    reference = LanguageIdentifier.from_modelstring(model_string, norm_probs=True)
    detector = LanguageDetector()
    started = time.perf_counter()
    expected = [reference.classify(text) for text in texts]
    langid_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ours = [detector.detect(text) for text in texts]
    our_seconds = time.perf_counter() - started
    same = sum(a[0] == b[0] and abs(a[1] - b[1]) < 1e-9 for a, b in zip(expected, ours,
                                                                         strict=True))
    print(f"language detection on {len(texts):,} docs, one core: langid "
          f"{len(texts) / langid_seconds:,.0f} docs/s, ours {len(texts) / our_seconds:,.0f} "
          f"docs/s ({langid_seconds / our_seconds:.1f}x); same answer for {same:,}")


if __name__ == "__main__":
    sys.exit(main())
