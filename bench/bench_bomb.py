"""The issue's decompression bomb through the real command: peak memory and time.

Builds a zip of about 3 MB holding one 3 GB document (plus one honest review) in a temporary
folder, then runs `lstm-studio data` on it in a child process three ways: as is (refused as
a bomb), with the ratio limit raised (the document is cut to the 4 MB budget), and on a
small honest CSV for the baseline cost of starting the command. Each child reports its own
peak resident memory. Targets (issue 18): at most 500 MB and 5 s.

    .venv/bin/python bench/bench_bomb.py [--gigabytes 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile_files import GIB, PEAK_MEASURING_CLI, peak_kib, write_bomb  # noqa: E402


def run(args: list[str]) -> dict[str, object]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PEAK_MEASURING_CLI, *args], capture_output=True,
                            text=True, timeout=600)
    seconds = time.perf_counter() - started
    peak = peak_kib(result.stderr) / 1024
    message = [line for line in result.stderr.splitlines() if "error" in line or "cut" in line]
    cut = [line.strip() for line in result.stdout.splitlines() if "cut to" in line]
    return {"exit": result.returncode, "seconds": round(seconds, 2), "peak_mb": round(peak, 1),
            "traceback": "Traceback" in result.stderr, "says": (message or cut or [""])[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gigabytes", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        bomb = write_bomb(Path(folder) / "bomb.zip", size=int(args.gigabytes * GIB))
        built = time.perf_counter() - started
        honest = Path(folder) / "honest.csv"
        honest.write_text("text,label\nngon quá,pos\ndở tệ,neg\n", encoding="utf-8")
        report = {
            "bomb_zip_mb": round(bomb.stat().st_size / 2**20, 2),
            "document_gb": args.gigabytes,
            "seconds_to_build": round(built, 2),
            "refused": run(["data", str(bomb)]),
            "ratio_raised_cut": run(["data", str(bomb), "--max-ratio", "1000000"]),
            "baseline_small_csv": run(["data", str(honest)]),
            "targets": {"peak_mb": 500, "seconds": 5},
        }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
