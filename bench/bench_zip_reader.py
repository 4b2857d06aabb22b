"""The zip reader against v1's, in one process: CPU seconds to read the two NTC-SCV zips.

v1 parsed the central directory by hand and inflated whole members without a cap; this
version lets `zipfile` read the directory and inflates each member with a cap (see
lstm_studio/core/readers/zipped.py). v1's module is taken from git (commit V1_COMMIT), so the
two run alternately in this process and the ratio holds on a busy machine; CPU time is
reported beside wall time because other people's jobs inflate wall time most.

    .venv/bin/python bench/bench_zip_reader.py [--repeats 6]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntc_scv import NTC_SCV_ZIPS, zips_present  # noqa: E402

from lstm_studio.core.limits import ReadBudget  # noqa: E402
from lstm_studio.core.readers import zipped  # noqa: E402

V1_COMMIT = "ed432e6"  # the last commit before issue 18


def v1_module(folder: Path):
    source = subprocess.run(["git", "-C", str(ROOT), "show",
                             f"{V1_COMMIT}:lstm_studio/core/readers/zipped.py"],
                            capture_output=True, text=True, check=True).stdout
    path = folder / "v1_zipped.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("v1_zipped", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    if not zips_present():
        print(json.dumps({"skipped": "NTC-SCV data not found"}))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        try:
            old = v1_module(Path(folder))
        except (OSError, subprocess.CalledProcessError) as error:
            print(json.dumps({"skipped": f"v1 reader not available from git ({error})"}))
            return 0

        def tick(done: int, total: int) -> None:
            pass

        readers = {
            "v1": lambda: sum(len(old.read_zip(p, None, tick).records) for p in NTC_SCV_ZIPS),
            "now": lambda: sum(len(zipped.read_zip(p, None, tick, ReadBudget()).records)
                               for p in NTC_SCV_ZIPS),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
        for _ in range(args.repeats):
            for name, read in readers.items():
                wall, cpu = time.perf_counter(), time.process_time()
                count = read()
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    best = {name: (min(w for w, _ in runs), min(c for _, c in runs))
            for name, runs in times.items()}
    print(json.dumps({
        "documents": count,
        "wall_best_s": {name: round(value[0], 3) for name, value in best.items()},
        "cpu_best_s": {name: round(value[1], 3) for name, value in best.items()},
        "cpu_ratio_now_over_v1": round(best["now"][1] / best["v1"][1], 2),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
