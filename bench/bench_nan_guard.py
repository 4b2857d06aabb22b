"""What keeping the last verified weights costs: one NTC-SCV epoch with the guard's copies off,
at their automatic interval, and at every step.

All three train the same freshly seeded model on the same reviews in this one process,
alternating, so the printed ratios hold on a busy machine; CPU time is printed beside wall
time because it is the steadier of the two when other work shares the cores.

    .venv/bin/python bench/bench_nan_guard.py --subset 3000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from bench_train_speed import load  # noqa: E402
from ntc_scv import zips_present  # noqa: E402

from lstm_studio.core import nan_guard  # noqa: E402
from lstm_studio.core.batching import encode_classification  # noqa: E402
from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig  # noqa: E402
from lstm_studio.core.models import build_model  # noqa: E402
from lstm_studio.core.trainer import Trainer  # noqa: E402
from lstm_studio.core.vocab import Vocabulary  # noqa: E402

VARIANTS = ("off", "auto", "every step")


def epoch(variant: str, model_config: ModelConfig, config: TrainConfig, train, valid
          ) -> tuple[float, float, int]:
    """(wall s, CPU s, copies taken) of one epoch with the guard in `variant` mode."""
    original_offer = nan_guard.LastGoodState.offer
    original_interval = nan_guard.snapshot_interval
    copies = [0]

    def offer(self) -> bool:
        if variant == "off":
            return False
        taken = original_offer(self)
        copies[0] += taken
        return taken

    nan_guard.LastGoodState.offer = offer  # type: ignore[method-assign]
    if variant == "every step":
        nan_guard.snapshot_interval = lambda state_bytes: 1  # type: ignore[assignment]
    try:
        torch.manual_seed(config.seed)
        model = build_model(model_config)
        wall, cpu = time.perf_counter(), time.process_time()
        Trainer(model, config, train, valid, ["neg", "pos"]).fit()
        return time.perf_counter() - wall, time.process_time() - cpu, copies[0]
    finally:
        nan_guard.LastGoodState.offer = original_offer  # type: ignore[method-assign]
        nan_guard.snapshot_interval = original_interval


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", type=int, default=3000, help="training reviews")
    parser.add_argument("--valid-subset", type=int, default=200, help="validation reviews")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not zips_present():
        print(json.dumps({"skipped": "NTC-SCV data not found"}))
        return 0
    torch.set_num_threads(args.threads)
    train_docs, valid_docs = load(args.subset, args.valid_subset, 0)
    vocab = Vocabulary.build([d.text for d in train_docs], VocabConfig(max_size=20000))
    index = {"neg": 0, "pos": 1}

    def encode(docs):
        return encode_classification([vocab.encode(d.text) for d in docs],
                                     [index[d.label] for d in docs], 256, vocab.unk_id)

    train, valid = encode(train_docs), encode(valid_docs)
    model_config = ModelConfig(vocab_size=len(vocab), num_classes=2)  # the app's defaults
    config = TrainConfig(epochs=1, max_len=256, threads=args.threads)
    runs: dict[str, list[tuple[float, float, int]]] = {v: [] for v in VARIANTS}
    for _ in range(args.repeats):
        for variant in VARIANTS:
            runs[variant].append(epoch(variant, model_config, config, train, valid))
    best = {v: (min(r[0] for r in runs[v]), min(r[1] for r in runs[v]), runs[v][0][2])
            for v in VARIANTS}
    state_bytes = sum(p.numel() for p in build_model(model_config).parameters()) * 3 * 4
    print(json.dumps({
        "train_reviews": len(train), "vocabulary": len(vocab),
        "steps_per_epoch": -(-len(train) // config.batch_size),
        "state_mb": round(state_bytes / 2**20, 1),
        "auto_interval": nan_guard.snapshot_interval(state_bytes),
        "seconds_wall_best": {v: round(best[v][0], 3) for v in VARIANTS},
        "seconds_cpu_best": {v: round(best[v][1], 3) for v in VARIANTS},
        "copies": {v: best[v][2] for v in VARIANTS},
        "cpu_overhead_auto": round(best["auto"][1] / best["off"][1] - 1, 4),
        "cpu_overhead_every_step": round(best["every step"][1] / best["off"][1] - 1, 4),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
