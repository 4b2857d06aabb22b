"""Peak memory and speed of reading a large word-vector file into a vocabulary's matrix.

Writes a synthetic word2vec text file of `--size-gb` (default 1 GB; 300-dimensional vectors,
a few hundred thousand words), then, in a fresh child process, reads it for a vocabulary of
`--vocab` words of which `--found` share occur in the file. The child reports its resident
memory before reading and its peak (Linux VmHWM); the figure that matters is
`peak_increase / matrix_bytes` (target < 2: the file is streamed, only the matrix stays).

    .venv/bin/python bench/bench_embeddings.py                 # 1 GB text file
    .venv/bin/python bench/bench_embeddings.py --size-gb 0.2 --gzip
    .venv/bin/python bench/bench_embeddings.py --binary

The synthetic file is written to a temporary folder and removed afterwards (`--keep DIR`
keeps it there).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.0


def word(i: int) -> str:
    return f"từ_{i}"


def write_file(path: Path, size_bytes: int, dim: int, binary: bool, compress: bool) -> int:
    """Write vectors until the file holds `size_bytes` of data; returns the word count."""
    rng = random.Random(0)
    templates = [" ".join(f"{rng.uniform(-1, 1):.6f}" for _ in range(dim)) for _ in range(64)]
    packed = [struct.pack(f"<{dim}f", *(rng.uniform(-1, 1) for _ in range(dim)))
              for _ in range(64)]
    per_line = len(templates[0]) + 12 if not binary else 4 * dim + 12
    count = max(1, size_bytes // per_line)
    opener = gzip.open if compress else open
    with opener(path, "wb") as handle:  # type: ignore[operator]
        handle.write(f"{count} {dim}\n".encode())
        for start in range(0, count, 10_000):
            chunk = []
            for i in range(start, min(count, start + 10_000)):
                if binary:
                    chunk.append(word(i).encode() + b" " + packed[i % 64] + b"\n")
                else:
                    chunk.append(f"{word(i)} {templates[i % 64]}\n".encode())
            handle.write(b"".join(chunk))
    return count


CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy
from lstm_studio.core.embeddings import read_vectors
from lstm_studio.core.progress import Progress

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0

path, vocab_size, found, count = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
inside = int(vocab_size * found)
step = max(1, count // max(1, inside))
itos = ["<pad>", "<unk>"] + [f"từ_{i * step}" for i in range(inside)]
itos += [f"absent_{i}" for i in range(vocab_size - len(itos))]
before = status("VmRSS")
start = time.perf_counter()
pretrained = read_vectors(path, itos, progress=Progress())
seconds = time.perf_counter() - start
peak = status("VmHWM")
print(json.dumps({"rss_before": before, "peak": peak, "seconds": seconds,
                  "matrix_bytes": int(pretrained.matrix.nbytes),
                  "found": int(pretrained.found.sum()), "vectors": pretrained.report.vectors}))
"""


def measure(size_gb: float, dim: int, vocab: int, found: float, binary: bool, compress: bool,
            folder: Path) -> dict:
    suffix = (".bin" if binary else ".vec") + (".gz" if compress else "")
    path = folder / f"synthetic{suffix}"
    start = time.perf_counter()
    count = write_file(path, int(size_gb * 1024**3), dim, binary, compress)
    written = time.perf_counter() - start
    child = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(path), str(vocab),
                            str(found), str(count)], capture_output=True, text=True,
                           check=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    increase = figures["peak"] - figures["rss_before"]
    return {"file_bytes": path.stat().st_size, "words_in_file": count, "dim": dim,
            "vocab": vocab, "found": figures["found"], "format": suffix.lstrip("."),
            "write_s": round(written, 1), "read_s": round(figures["seconds"], 1),
            "matrix_mb": round(figures["matrix_bytes"] / 1024**2, 1),
            "peak_increase_mb": round(increase / 1024**2, 1),
            "ratio": round(increase / figures["matrix_bytes"], 3), "target_ratio": TARGET_RATIO}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--vocab", type=int, default=50_000)
    parser.add_argument("--found", type=float, default=0.8,
                        help="share of the vocabulary present in the file")
    parser.add_argument("--binary", action="store_true")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--keep", metavar="DIR")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print(json.dumps({"skipped": "needs Linux /proc for peak memory"}))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        figures = measure(args.size_gb, args.dim, args.vocab, args.found, args.binary,
                          args.gzip, folder)
    figures["pass"] = figures["ratio"] < TARGET_RATIO
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    raise SystemExit(main())
