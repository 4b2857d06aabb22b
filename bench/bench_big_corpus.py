"""A corpus larger than memory, end to end: preparing the token store, the second start, training
speed against the in-memory path and the peak resident memory of whole runs.

Usage: python bench/bench_big_corpus.py [--docs 1000000] [--clean-docs 200000]
                                        [--train-seconds 20] [--threads 2]

Builds, in a temporary folder (removed at the end; never in the checkout), a JSONL of `--docs`
reviews resampled with a fixed seed from the NTC-SCV zips (../shared/data/ntc-scv; exits 0
with a message when absent), and the 50,000 NTC-SCV reviews themselves as a JSONL. Each
measured step runs in its own Python process, so "peak" is that whole process's resident
memory (ru_maxrss; cleaning workers are reported apart as children), with the user's cache
pointed at the temporary folder:

- prepare_noclean: the store of the big file with --no-clean, from an empty cache
  (targets: >= 20,000 documents/s on 2 cores);
- prepare_clean: the default cleaning pipeline on the first `--clean-docs` documents, 2 workers
  (>= 4,000 documents/s); prepare_clean_raw: the same reviews typed without the underscores
  that join the syllables of a word, so the default pipeline also segments them (pyvi, about
  580 documents/s per core, bounds this one);
- big_run: `train` from the now cached store: seconds from process start to the first
  training step (<= 5 s), then `--train-seconds` of training and the evaluation; peak
  (<= 1.5 GB for 1M documents and <= 2x the 50k store run's peak);
- small_memory / small_store: the 50k corpus trained in memory and from the store for the same
  number of seconds: tokens/s of each (store >= 0.95x in-memory) and peaks.

Stdout is one JSON object with every figure and the ratios; a readable summary goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.monotonic()
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ntc_scv import NTC_SCV_ZIPS, zips_present  # noqa: E402

TARGETS = {"prepare_noclean_docs_per_s": 20_000, "prepare_clean_docs_per_s": 4_000,
           "second_start_to_first_step_s": 5.0, "big_run_peak_mb": 1536,
           "store_vs_memory_tokens_per_s": 0.95, "big_vs_small_peak": 2.0}


def _peaks() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mb": round(own, 1), "children_peak_mb": round(children, 1)}


# --- the measured steps (each in a fresh process) -------------------------------------------

def child_prepare(path: str, clean: bool, threads: int) -> dict:
    from lstm_studio.core.config import CleaningConfig, DataConfig
    from lstm_studio.core.corpus.build import prepare_store

    started = time.monotonic()
    prepared = prepare_store(DataConfig(sources=[path], store="on"),
                             CleaningConfig() if clean else None, workers=threads)
    seconds = time.monotonic() - started
    documents = len(prepared.store)
    return {"documents": documents, "seconds": round(seconds, 2),
            "docs_per_s": round(documents / seconds), "built": prepared.built,
            "store_mb": round(prepared.store.size_bytes() / 2**20, 1), **_peaks()}


def child_train(path: str, store: str, seconds: float, threads: int) -> dict:
    from lstm_studio.core.callbacks import TrainerCallback
    from lstm_studio.core.config import DataConfig, ModelConfig, TrainConfig, VocabConfig
    from lstm_studio.core.corpus.choice import load_for_training
    from lstm_studio.core.pipeline import train_model

    first: list[float] = []

    class FirstStep(TrainerCallback):
        def on_step_end(self, trainer, event) -> None:
            if not first:
                first.append(time.monotonic() - STARTED)

    data = load_for_training(DataConfig(sources=[path], store=store), None)
    loaded = time.monotonic() - STARTED
    result = train_model(data.corpus, VocabConfig(max_size=20000), ModelConfig(),
                         TrainConfig(epochs=1, time_budget_s=seconds, threads=threads,
                                     max_len=100, seed=0),
                         record_run=False, callbacks=[FirstStep()])
    entry = result.history[-1] if result.history else {}
    return {"store": store, "data_ready_s": round(loaded, 2),
            "first_step_s": round(first[0], 2) if first else None,
            "tokens_per_s": round(entry.get("tokens_per_s", 0.0)),
            "valid_accuracy": (result.valid or {}).get("accuracy"),
            "total_s": round(time.monotonic() - STARTED, 1), **_peaks()}


# --- the driver ---------------------------------------------------------------------------------

def _write_corpora(folder: Path, docs: int, clean_docs: int) -> dict[str, Path]:
    from lstm_studio.core.readers import load_sources

    dataset = load_sources(NTC_SCV_ZIPS)
    # The reviews as published (word-segmented, so the default pipeline's automatic
    # segmentation decides "off"); `raw` holds them as people type them (no underscores),
    # which the default pipeline segments with pyvi.
    rows = [json.dumps({"text": d.text, "label": d.label}, ensure_ascii=False)
            for d in dataset.documents]
    raw_rows = [json.dumps({"text": d.text.replace("_", " "), "label": d.label},
                           ensure_ascii=False) for d in dataset.documents]
    paths = {"big": folder / "big.jsonl", "clean": folder / "clean.jsonl",
             "raw": folder / "raw.jsonl", "small": folder / "small.jsonl"}
    rng = random.Random(0)
    with open(paths["big"], "w", encoding="utf-8") as big, \
            open(paths["clean"], "w", encoding="utf-8") as subset, \
            open(paths["raw"], "w", encoding="utf-8") as raw:
        for number in range(docs):
            chosen = rng.randrange(len(rows))
            big.write(rows[chosen] + "\n")
            if number < clean_docs:
                subset.write(rows[chosen] + "\n")
                raw.write(raw_rows[chosen] + "\n")
    with open(paths["small"], "w", encoding="utf-8") as small:
        small.writelines(row + "\n" for row in rows)
    return paths


def _run(step: list[str], home: Path) -> dict:
    env = {**os.environ, "LSTM_STUDIO_HOME": str(home)}
    done = subprocess.run([sys.executable, __file__, "--child", *step], env=env,
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--clean-docs", type=int, default=200_000)
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args(argv)
    if args.child:
        what, path, *rest = args.child
        if what == "prepare":
            figures = child_prepare(path, rest[0] == "clean", args.threads)
        else:
            figures = child_train(path, rest[0], args.train_seconds, args.threads)
        print(json.dumps(figures))
        return 0
    if not zips_present():
        print(json.dumps({"skipped": "NTC-SCV data not found in ../shared/data/ntc-scv"}))
        return 0
    with tempfile.TemporaryDirectory(prefix="lstm-big-corpus-") as tmp:
        folder = Path(tmp)
        home = folder / "home"
        paths = _write_corpora(folder, args.docs, args.clean_docs)
        print(f"wrote {args.docs:,} documents ({paths['big'].stat().st_size / 2**20:.0f} MB)",
              file=sys.stderr)
        figures = {
            "documents": args.docs, "threads": args.threads,
            "big_file_mb": round(paths["big"].stat().st_size / 2**20, 1),
            "prepare_noclean": _run(["prepare", str(paths["big"]), "noclean"], home),
            "prepare_clean": _run(["prepare", str(paths["clean"]), "clean"], home),
            "prepare_clean_raw": _run(["prepare", str(paths["raw"]), "clean"], home),
            "big_run": _run(["train", str(paths["big"]), "on"], home),
            "small_memory": _run(["train", str(paths["small"]), "off"], home),
        }
        _run(["prepare", str(paths["small"]), "noclean"], home)  # the store, then a warm run
        figures["small_store"] = _run(["train", str(paths["small"]), "on"], home)
    small_memory, small_store = figures["small_memory"], figures["small_store"]
    figures["ratios"] = {
        "store_vs_memory_tokens_per_s": round(
            small_store["tokens_per_s"] / max(1, small_memory["tokens_per_s"]), 3),
        "big_vs_small_peak": round(figures["big_run"]["peak_mb"] / small_store["peak_mb"], 2),
    }
    figures["targets"] = TARGETS
    print(json.dumps(figures))
    print(f"prepare --no-clean {figures['prepare_noclean']['docs_per_s']:,} docs/s, cleaning "
          f"{figures['prepare_clean']['docs_per_s']:,} docs/s; second start: first step after "
          f"{figures['big_run']['first_step_s']} s; peak {figures['big_run']['peak_mb']} MB; "
          f"ratios {figures['ratios']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
