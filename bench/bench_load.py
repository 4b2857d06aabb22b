"""How fast the two NTC-SCV zips load: documents per second and seconds.

Usage: python bench/bench_load.py [DATA_TRAIN_ZIP DATA_TEST_ZIP]
Defaults to ../shared/data/ntc-scv beside the repository. Target: <= 3 s for 50,000 documents.
Takes the best of a few runs (the machine may be shared) and exits 0 when the data is absent.
A readable report goes to stderr; stdout is one JSON object (the figures), e.g.
{"documents": 50000, "sources": 2, "best_s": 2.1, "runs_s": [...], "docs_per_s": ..., ...}.
This is where the load-time target lives (tests/cli/test_data_ntc_scv.py checks only counts).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ntc_scv import NTC_SCV_ZIPS  # noqa: E402

from lstm_studio.core.readers import load_sources  # noqa: E402

TARGET_SECONDS = 3.0


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or NTC_SCV_ZIPS
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(json.dumps({"skipped": f"NTC-SCV data not found ({', '.join(missing)})"}))
        return 0
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        dataset = load_sources(paths)
        runs.append(time.perf_counter() - started)
    best = min(runs)
    count = len(dataset)
    target_s = TARGET_SECONDS * count / 50000
    report = sys.stderr
    print(f"loaded {count:,} documents from {len(paths)} sources", file=report)
    print(f"seconds (best of {len(runs)}): {best:.2f}  (runs: "
          f"{', '.join(f'{r:.2f}' for r in runs)})", file=report)
    print(f"docs/s: {count / best:,.0f}", file=report)
    verdict = "OK" if best <= target_s else "SLOWER THAN TARGET"
    print(f"target: <= {TARGET_SECONDS:.0f} s for 50,000 documents -> {verdict}", file=report)
    print(json.dumps({"documents": count, "sources": len(paths), "best_s": round(best, 3),
                      "runs_s": [round(r, 3) for r in runs],
                      "docs_per_s": round(count / best), "target_s": round(target_s, 3),
                      "meets_target": best <= target_s}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
