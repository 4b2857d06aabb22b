"""What keeping the last verified weights costs during one NTC-SCV epoch.

Each copy of the weights and Adam state is timed where it happens, inside the epoch, so
the share of the epoch spent copying comes from one run and holds on a busy machine (whole
epochs timed separately were swamped by other people's jobs on the shared test machine).
The epoch runs twice, copying at every verified step and at the automatic interval, on the
same freshly seeded model and the same reviews; the app's default model (vocabulary
20,000 at most, embedding and hidden size 128, Adam).

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

VARIANTS = ("every step", "auto")


def epoch(variant: str, model_config: ModelConfig, config: TrainConfig, train, valid
          ) -> dict[str, float]:
    """One epoch with copies at `variant`'s interval; wall seconds of the epoch and of the
    copies (and finiteness checks) inside it."""
    original_copy = nan_guard.LastGoodState._copy_in
    original_interval = nan_guard.snapshot_interval
    spent = {"copy": 0.0, "copies": 0}

    def timed_copy(self) -> None:
        started = time.perf_counter()
        original_copy(self)
        spent["copy"] += time.perf_counter() - started
        spent["copies"] += 1

    nan_guard.LastGoodState._copy_in = timed_copy  # type: ignore[method-assign]
    if variant == "every step":
        nan_guard.snapshot_interval = lambda state_bytes: 1  # type: ignore[assignment]
    try:
        torch.manual_seed(config.seed)
        model = build_model(model_config)
        started = time.perf_counter()
        Trainer(model, config, train, valid, ["neg", "pos"]).fit()
        spent["epoch"] = time.perf_counter() - started
        return spent
    finally:
        nan_guard.LastGoodState._copy_in = original_copy  # type: ignore[method-assign]
        nan_guard.snapshot_interval = original_interval


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", type=int, default=3000, help="training reviews")
    parser.add_argument("--valid-subset", type=int, default=200, help="validation reviews")
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
    results = {variant: epoch(variant, model_config, config, train, valid)
               for variant in VARIANTS}
    state_bytes = sum(p.numel() for p in build_model(model_config).parameters()) * 3 * 4
    print(json.dumps({
        "train_reviews": len(train), "vocabulary": len(vocab),
        "steps_per_epoch": -(-len(train) // config.batch_size),
        "state_mb": round(state_bytes / 2**20, 1),
        "auto_interval": nan_guard.snapshot_interval(state_bytes),
        **{f"{variant}: {key}": round(value, 4) for variant, spent in results.items()
           for key, value in spent.items()},
        "ms_per_copy": round(1000 * results["every step"]["copy"]
                             / max(1, results["every step"]["copies"]), 2),
        "epoch_share_copying_every_step": round(
            results["every step"]["copy"] / results["every step"]["epoch"], 4),
        "epoch_share_copying_auto": round(results["auto"]["copy"] / results["auto"]["epoch"], 4),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
