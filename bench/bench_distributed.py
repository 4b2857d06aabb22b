"""Data-parallel training on the CPU: tokens/s for 1 process x 2 threads vs 2 processes x 1
thread (`lstm-studio train --nproc 2`, gloo), 1 process x 1 thread as the baseline of both,
and the cost of one gradient all-reduce.

Both runs train the same model on the same NTC-SCV subset (cleaned without language
detection, written once as fastText files in a temporary folder) through the real command
line, back to back in this one command, for one epoch or `--budget` seconds, whichever comes
first; tokens/s is the trainer's own figure for the epoch (tokens / busy seconds of the main
process, every process's tokens counted). The all-reduce is timed in two gloo processes on a
float32 tensor with the model's parameter count, which is what DDP sends each step. The last
line printed is the JSON of all figures; docs/runs.md turns them into an expectation for N
GPUs.

    .venv/bin/python bench/bench_distributed.py                     # 2,000 reviews, 60 s each
    .venv/bin/python bench/bench_distributed.py --subset 4000 --budget 120
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntc_scv import NTC_SCV_DIR, NTC_SCV_ZIPS, zips_present  # noqa: E402

MODEL_FLAGS = ["--cell", "lstm", "--embedding", "200", "--hidden", "128", "--vocab-size",
               "20000", "--max-len", "200", "--batch-size", "64", "--seed", "0"]


def write_subset(folder: Path, subset: int, seed: int) -> list[str]:
    from lstm_studio.core.cleaning import clean_dataset
    from lstm_studio.core.config import CleaningConfig
    from lstm_studio.core.readers import load_sources

    dataset = load_sources([str(path) for path in NTC_SCV_ZIPS])
    rng = random.Random(seed)
    train = rng.sample(dataset.split("train"), min(subset, len(dataset.split("train"))))
    valid = rng.sample(dataset.split("valid"), min(max(200, subset // 10),
                                                   len(dataset.split("valid"))))
    cleaned = clean_dataset(dataset.with_documents(train + valid),
                            CleaningConfig(detect_language=False)).dataset
    paths = []
    for split in ("train", "valid"):
        path = folder / f"{split}.txt"
        path.write_text("".join(f"__label__{doc.label} {doc.text}\n"
                                for doc in cleaned.split(split)), encoding="utf-8")
        paths.append(str(path))
    return paths


def train_once(paths: list[str], home: Path, threads: int, nproc: int, budget: float) -> dict:
    command = [sys.executable, "-m", "lstm_studio", "train", *paths, "--no-clean", *MODEL_FLAGS,
               "--threads", str(threads), "--epochs", "1", "--budget-seconds", str(budget),
               "--no-record", "--json", "--out", str(home / f"model-{nproc}.safetensors")]
    if nproc > 1:
        command += ["--nproc", str(nproc)]
    env = {**os.environ, "LSTM_STUDIO_HOME": str(home), "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"training failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    epoch = result["history"][-1]
    lengths = [min(200, len(line.split()) - 1) for line in Path(paths[0]).read_text(
        encoding="utf-8").splitlines()]
    return {"processes": nproc, "threads_per_process": threads,
            "tokens_per_s": round(epoch["tokens_per_s"], 1),
            "train_seconds": round(epoch["seconds"], 2),
            "command_seconds": round(time.perf_counter() - started, 2),
            "valid_accuracy": result["valid"]["accuracy"],
            "tokens_per_doc": round(sum(lengths) / max(1, len(lengths)), 1)}


def allreduce_worker(count: int, repeats: int, out: str) -> None:
    """Runs under torchrun: time all_reduce of `count` float32 values."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    tensor = torch.ones(count)
    for _ in range(3):
        dist.all_reduce(tensor)
    times = []
    for _ in range(repeats):
        dist.barrier()
        started = time.perf_counter()
        dist.all_reduce(tensor)
        times.append(time.perf_counter() - started)
    if dist.get_rank() == 0:
        Path(out).write_text(json.dumps({"median_s": statistics.median(times),
                                         "min_s": min(times)}), encoding="utf-8")
    dist.barrier()
    dist.destroy_process_group()


def time_allreduce(parameters: int, repeats: int = 20) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "allreduce.json"
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   "--nproc-per-node", "2", __file__, "--allreduce-worker", str(parameters),
                   "--repeats", str(repeats), "--out", str(out)]
        done = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": "1"},
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"all-reduce timing failed:\n{done.stderr[-2000:]}")
        figures = json.loads(out.read_text(encoding="utf-8"))
    size = parameters * 4
    # A ring all-reduce sends and receives 2 (N-1)/N of the buffer per process.
    moved = size * 2 * (2 - 1) / 2
    return {"parameters": parameters, "bytes": size,
            "allreduce_ms_median": round(figures["median_s"] * 1000, 2),
            "allreduce_ms_min": round(figures["min_s"] * 1000, 2),
            "effective_gbit_per_s": round(moved * 8 / figures["median_s"] / 1e9, 2)}


def model_parameters(paths: list[str]) -> int:
    """The parameter count of the benchmark's model on this subset's vocabulary."""
    from lstm_studio.core.config import ModelConfig, VocabConfig
    from lstm_studio.core.models import build_model, count_parameters
    from lstm_studio.core.readers import load_sources
    from lstm_studio.core.vocab import Vocabulary

    dataset = load_sources(paths)
    vocab = Vocabulary.build([doc.text for doc in dataset.split("train")],
                             VocabConfig(max_size=20000))
    model = build_model(ModelConfig(cell="lstm", embedding_dim=200, hidden_size=128,
                                    vocab_size=len(vocab), num_classes=2))
    return count_parameters(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=2000, help="training reviews")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds of training per configuration (at most one epoch)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--allreduce-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=20, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.allreduce_worker:
        allreduce_worker(args.allreduce_worker, args.repeats, args.out)
        return
    if not zips_present():
        print(f"NTC-SCV not found in {NTC_SCV_DIR}; skipping.")
        print(json.dumps({"skipped": "NTC-SCV not found"}))
        return
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as folder:
        home = Path(folder)
        paths = write_subset(home, args.subset, args.seed)
        base = train_once(paths, home, threads=1, nproc=1, budget=args.budget)
        print(f"1 process x 1 thread:   {base['tokens_per_s']:>9,.0f} tokens/s", flush=True)
        one = train_once(paths, home, threads=2, nproc=1, budget=args.budget)
        print(f"1 process x 2 threads:  {one['tokens_per_s']:>9,.0f} tokens/s", flush=True)
        two = train_once(paths, home, threads=1, nproc=2, budget=args.budget)
        print(f"2 processes x 1 thread: {two['tokens_per_s']:>9,.0f} tokens/s", flush=True)
        parameters = model_parameters(paths)
    comm = time_allreduce(parameters)
    print(f"all-reduce of {parameters:,} parameters ({comm['bytes'] / 1e6:.1f} MB): "
          f"{comm['allreduce_ms_median']} ms median", flush=True)
    step_s = 64 * base["tokens_per_doc"] / base["tokens_per_s"]  # one batch, one thread
    figures = {"subset": args.subset, "budget_s": args.budget, "cpus": os.cpu_count(),
               "load_average": [round(x, 2) for x in os.getloadavg()],
               "one_process_one_thread": base, "one_process_two_threads": one,
               "two_processes_one_thread": two,
               "two_processes_vs_two_threads": round(two["tokens_per_s"] / one["tokens_per_s"], 3),
               "two_processes_vs_one_thread": round(two["tokens_per_s"] / base["tokens_per_s"],
                                                    3),
               "two_threads_vs_one_thread": round(one["tokens_per_s"] / base["tokens_per_s"], 3),
               "allreduce": comm,
               "batch_step_s_one_thread": round(step_s, 3),
               "allreduce_share_of_step": round(comm["allreduce_ms_median"] / 1000 / step_s, 4)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
