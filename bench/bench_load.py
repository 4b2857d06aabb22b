"""How fast the two NTC-SCV zips load: prints documents per second and seconds.

Usage: python bench/bench_load.py [DATA_TRAIN_ZIP DATA_TEST_ZIP]
Defaults to ../shared/data/ntc-scv beside the repository. Target: <= 3 s for 50,000 documents.
Prints the best of a few runs (the machine may be shared) and exits 0 when the data is absent.
"""

from __future__ import annotations

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
        print(f"skipped: NTC-SCV data not found ({', '.join(missing)})")
        return 0
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        dataset = load_sources(paths)
        runs.append(time.perf_counter() - started)
    best = min(runs)
    count = len(dataset)
    print(f"loaded {count:,} documents from {len(paths)} sources")
    print(f"seconds (best of {len(runs)}): {best:.2f}  (runs: "
          f"{', '.join(f'{r:.2f}' for r in runs)})")
    print(f"docs/s: {count / best:,.0f}")
    verdict = "OK" if best <= TARGET_SECONDS * count / 50000 else "SLOWER THAN TARGET"
    print(f"target: <= {TARGET_SECONDS:.0f} s for 50,000 documents -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
