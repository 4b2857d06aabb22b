"""Text as people type it: does a model trained on segmented NTC-SCV read raw text as well?

NTC-SCV is word-segmented ("nhân_viên thân_thiện"); a person types "nhân viên thân thiện".
This trains one classifier the app's way (default cleaning, so segmentation is decided
"auto") on the NTC-SCV train zip and scores it on the whole test split twice: as distributed,
and with every "_" replaced by a space. It prints both accuracies, the gap in points and the
unknown-word rates as JSON, and the same raw test scored by the same weights with segmentation
taken out of the pipeline (what happened before issue 12).
Targets (issue 12): gap <= 0.5 points; raw unknown-word rate within 1.2x of the segmented one.

With --speed it also times cleaning (segmentation included) of all 50,000 reviews with their
underscores removed, on 1 and on N worker processes, with the CPU time they used (on a shared
machine the CPU time says more than the wall time).

    .venv/bin/python bench/bench_raw_text.py                      # LSTM 200->128, max-len 100,
                                                                  # 2 epochs (about 5 minutes)
    .venv/bin/python bench/bench_raw_text.py --speed --workers 2  # + segmentation speed
    .venv/bin/python bench/bench_raw_text.py --speed-only --workers 2   # speed alone
    .venv/bin/python bench/bench_raw_text.py --subset 3000 --epochs 1   # quick check
Exits 0 with a message when ../shared/data/ntc-scv is absent.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntc_scv import NTC_SCV_DIR, NTC_SCV_ZIPS, zips_present  # noqa: E402


def unsegment(text: str) -> str:
    return text.replace("_", " ")


def score(bundle, documents) -> dict:
    """Accuracy, macro-F1 and the unknown-word rate of `documents` through the model's
    own pipeline (the same path as `lstm-studio eval` and Predict)."""
    from lstm_studio.core.evaluation import evaluate

    tokens = unknown = 0
    prepared = []
    for doc in documents:
        encoded = bundle.prepare(doc.text)
        tokens += len(encoded.tokens)
        unknown += sum(encoded.oov)
        prepared.append(replace(doc, text=encoded.cleaned))
    metrics = evaluate(bundle.model, prepared, vocab=bundle.vocab, labels=bundle.labels,
                       max_len=bundle.max_len, misclassified_limit=0)
    return {"accuracy": round(metrics["accuracy"], 4), "macro_f1": round(metrics["macro_f1"], 4),
            "documents": metrics["documents"], "oov_rate": round(unknown / max(1, tokens), 4)}


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def speed(dataset, workers: int) -> dict:
    from lstm_studio.core.cleaning import clean_dataset
    from lstm_studio.core.config import CleaningConfig
    from lstm_studio.core.language import load_model

    raw = dataset.with_documents([replace(d, text=unsegment(d.text)) for d in dataset.documents])
    load_model()
    figures = {}
    for count in sorted({1, workers}):
        started, cpu_started = time.perf_counter(), cpu_seconds()
        result = clean_dataset(raw, CleaningConfig(segment="on"), workers=count)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_started
        figures[f"workers_{count}"] = {
            "seconds": round(seconds, 1), "docs_per_s": round(len(raw) / seconds),
            # CPU time of this process and its workers: what the work costs on an idle
            # machine, where `count` cores would take about cpu / count seconds.
            "cpu_seconds": round(cpu, 1),
            "segmented_documents": result.report.steps_changed.get("segment_words", 0),
            "segmentation_failures": result.report.steps_failed.get("segment_words", 0)}
    return {"documents": len(raw), **figures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-len", type=int, default=100)
    parser.add_argument("--embedding", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--subset", type=int, help="train on this many training documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", action="store_true", help="also time segmentation")
    parser.add_argument("--speed-only", action="store_true", help="only time segmentation")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not zips_present():
        print(f"skipped: NTC-SCV zips not found under {NTC_SCV_DIR}")
        return 0
    from lstm_studio.core.cleaning import clean_dataset
    from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
    from lstm_studio.core.pipeline import train_model
    from lstm_studio.core.readers import load_sources

    dataset = load_sources([str(path) for path in NTC_SCV_ZIPS])
    figures: dict = {}
    if args.speed or args.speed_only:
        figures["segmentation_speed"] = speed(dataset, args.workers)
        if args.speed_only:
            print(json.dumps(figures, ensure_ascii=False, indent=2))
            return 0
    train_docs = dataset.split("train")
    if args.subset:
        train_docs = random.Random(args.seed).sample(train_docs, args.subset)
    training = dataset.with_documents(train_docs + dataset.split("valid"))
    started = time.perf_counter()
    cleaned = clean_dataset(training, CleaningConfig(), workers=args.workers)
    figures["cleaning"] = {"seconds": round(time.perf_counter() - started, 1),
                           "segmentation": cleaned.report.segmentation,
                           "kept": cleaned.report.kept, "dropped": cleaned.report.dropped_counts()}
    started = time.perf_counter()
    result = train_model(
        cleaned.dataset, VocabConfig(max_size=20000, max_len=args.max_len),
        ModelConfig(cell="lstm", embedding_dim=args.embedding, hidden_size=args.hidden),
        TrainConfig(epochs=args.epochs, max_len=args.max_len, seed=args.seed),
        cleaning_config=cleaned.config, record_run=False)
    figures["training_seconds"] = round(time.perf_counter() - started, 1)
    bundle = result.bundle
    test = dataset.split("test")  # the whole split: never filtered
    raw_test = [replace(doc, text=unsegment(doc.text)) for doc in test]
    segmented = score(bundle, test)
    raw = score(bundle, raw_test)
    unsegmenting = replace(bundle.cleaning_config, segment="off")
    before = score(replace(bundle, cleaning_config=unsegmenting), raw_test)
    figures.update({
        "model": f"LSTM {args.embedding}->{args.hidden}, max-len {args.max_len}, "
                 f"{args.epochs} epochs, {len(train_docs)} training documents",
        "test_as_distributed": segmented,
        "test_underscores_removed": raw,
        "gap_points": round(100 * (segmented["accuracy"] - raw["accuracy"]), 2),
        "oov_ratio_raw_vs_segmented": round(raw["oov_rate"] / max(segmented["oov_rate"], 1e-9),
                                            3),
        "without_segmentation_in_the_pipeline": {
            **before, "gap_points": round(100 * (segmented["accuracy"] - before["accuracy"]), 2)},
        "targets": {"gap_points_at_most": 0.5, "oov_ratio_at_most": 1.2},
    })
    figures["meets_targets"] = (figures["gap_points"] <= 0.5
                                and figures["oov_ratio_raw_vs_segmented"] <= 1.2)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
