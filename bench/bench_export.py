"""Predictions per second for a 100-token review: onnxruntime (the exported model run by
lstm_studio.portable) against the app's own torch path (ModelBundle.predict_many).

Both paths start from raw text and share the same TextPipeline (cleaning, tokens, ids), so the
difference is the network and its batching. A classifier with the app's default sizes
(embedding and hidden 128, vocabulary 20,000) is built with random weights (speed does not
depend on training) and exported once. Rounds of the two paths alternate so that load on a
shared machine hits both alike; the JSON gives the median and best round per path and batch
size, and onnxruntime's speed-up over torch (median / median).

Usage: python bench/bench_export.py [--cell lstm] [--bidirectional] [--tokens 100]
                                    [--threads 1] [--rounds 7] [--round-seconds 0.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def build_bundle(cell: str, bidirectional: bool, size: int, vocab_size: int):
    import torch

    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
    from lstm_studio.core.models import build_model
    from lstm_studio.core.vocab import Vocabulary

    words = [f"từ_{i}" for i in range(vocab_size - 2)]
    vocab = Vocabulary.build([" ".join(words)], VocabConfig(max_size=vocab_size))
    config = ModelConfig(cell=cell, bidirectional=bidirectional, embedding_dim=size,
                         hidden_size=size, vocab_size=len(vocab), num_classes=2)
    torch.manual_seed(0)
    return ModelBundle(build_model(config).eval(), config, TrainConfig(max_len=None),
                       VocabConfig(), vocab, ["neg", "pos"],
                       cleaning_config=CleaningConfig(detect_language=False)), words


def rate(predict, texts: list[str], seconds: float) -> float:
    """Predictions per second over at least `seconds` of repeated calls."""
    calls = 0
    started = time.perf_counter()
    while True:
        predict(texts)
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return calls * len(texts) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="lstm", choices=["rnn", "lstm", "gru"])
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--size", type=int, default=128, help="embedding and hidden size")
    parser.add_argument("--vocab", type=int, default=20000)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for torch and onnxruntime (0: each library's default)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--round-seconds", type=float, default=0.5)
    args = parser.parse_args()

    import random

    import torch

    from lstm_studio.core.export.onnx_graph import export_onnx
    from lstm_studio.portable import load

    if args.threads:
        torch.set_num_threads(args.threads)
    bundle, words = build_bundle(args.cell, args.bidirectional, args.size, args.vocab)
    rng = random.Random(0)
    reviews = [" ".join(rng.choice(words) for _ in range(args.tokens)) for _ in range(64)]
    started = time.perf_counter()
    import onnx  # noqa: F401  (timed apart: the first export pays for it)

    onnx_import_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        export_onnx(bundle, Path(folder) / "bench.onnx")
        export_s = time.perf_counter() - started
        portable = load(Path(folder) / "bench.onnx", threads=args.threads or None)
    paths = {"torch": bundle.predict_many, "onnxruntime": portable.predict_many,
             # the shared cleaning + tokens + ids alone: the ceiling for both paths
             "text_pipeline_only": lambda texts: [bundle.prepare(t) for t in texts]}
    worst = max(abs(a[k] - b[k]) for a, b in zip(bundle.predict_many(reviews),
                                                   portable.predict_many(reviews), strict=True)
                for k in a)
    results: dict[str, dict] = {}
    for batch in (int(b) for b in args.batches.split(",")):
        texts = reviews[:batch] if batch <= len(reviews) else reviews * (batch // 64 + 1)
        texts = texts[:batch]
        rounds: dict[str, list[float]] = {name: [] for name in paths}
        for predict in paths.values():
            predict(texts)  # warm-up
        for _ in range(args.rounds):
            for name, predict in paths.items():
                rounds[name].append(rate(predict, texts, args.round_seconds))
        entry = {name: {"median_predictions_per_s": round(statistics.median(values), 1),
                        "best_predictions_per_s": round(max(values), 1)}
                 for name, values in rounds.items()}
        entry["onnxruntime_speedup"] = round(
            statistics.median(rounds["onnxruntime"]) / statistics.median(rounds["torch"]), 2)
        results[f"batch_{batch}"] = entry
    print(json.dumps({
        "benchmark": "export_predict_speed",
        "model": {"cell": args.cell, "bidirectional": args.bidirectional, "size": args.size,
                  "vocabulary": len(bundle.vocab), "tokens_per_review": args.tokens},
        "threads": args.threads or "library default",
        "export_seconds": round(export_s, 3),
        "onnx_import_seconds": round(onnx_import_s, 3),
        "max_probability_difference": worst,
        "results": results,
        "torch": torch.__version__,
        "onnxruntime": __import__("onnxruntime").__version__,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
