"""The quality flags `train` and `search` share, and the text lines that report them.

Flags map one to one onto TrainConfig fields (class_weight, oversample, select, embeddings,
word2vec, freeze_embeddings, temperature_scaling, tune_threshold); their rules are
core.config.validate_training's, like every other setting's.
"""

from __future__ import annotations

import argparse
from typing import Any

from lstm_studio.core.class_balance import REPORT_SHARE, small_classes
from lstm_studio.core.config import CLASS_WEIGHTS, SELECTIONS


def add_quality_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("quality (imbalanced labels, embeddings, calibration)")
    group.add_argument("--class-weight", choices=CLASS_WEIGHTS,
                       help="weight the loss per class: balanced = inverse frequency, "
                            "effective = effective number of samples (default none)")
    group.add_argument("--oversample", action="store_true", default=None,
                       help="repeat the smaller classes' documents up to the largest class")
    group.add_argument("--select", choices=SELECTIONS,
                       help="metric that keeps the best epoch, stops early and drives the "
                            "plateau schedule (default auto: macro_f1 when the training split "
                            "is imbalanced, else accuracy)")
    group.add_argument("--embeddings", metavar="FILE",
                       help="start the embedding from word2vec/fastText vectors (.vec, .txt, "
                            ".bin, optionally .gz)")
    group.add_argument("--word2vec", action="store_true", default=None,
                       help="train word2vec on the training split first and start from it "
                            "(needs the word2vec extra)")
    group.add_argument("--freeze-embeddings", type=int, metavar="EPOCHS",
                       help="keep the pretrained rows fixed for this many epochs")
    group.add_argument("--calibrate", action="store_true", default=None,
                       help="fit a softmax temperature on validation and store it")
    group.add_argument("--tune-threshold", action="store_true", default=None,
                       help="two classes: choose the decision threshold on validation "
                            "(macro-F1) and store it")


def quality_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """TrainConfig fields for the quality flags that were given."""
    values = {"class_weight": args.class_weight, "oversample": args.oversample,
              "select": args.select, "embeddings": args.embeddings,
              "word2vec": args.word2vec, "freeze_embeddings": args.freeze_embeddings,
              "temperature_scaling": args.calibrate, "tune_threshold": args.tune_threshold}
    return {key: value for key, value in values.items() if value is not None}


def per_class_lines(metrics: dict | None, label_counts: dict[str, int] | None) -> list[str]:
    """Per-class F1 lines when some class is under 20% of the training documents."""
    if not metrics or not label_counts or "per_class" not in metrics:
        return []
    small = set(small_classes(label_counts, REPORT_SHARE))
    if not small:
        return []
    total = sum(label_counts.values())
    lines = ["per class (a class is under 20% of the training documents):"]
    for label, scores in metrics["per_class"].items():
        share = label_counts.get(label, 0) / total if total else 0.0
        mark = "  <- small" if label in small else ""
        lines.append(f"  {label:<12} F1 {scores['f1']:.4f}  precision {scores['precision']:.4f}"
                     f"  recall {scores['recall']:.4f}  ({share:.1%} of training){mark}")
    return lines


def calibration_line(metrics: dict | None) -> str | None:
    calibration = (metrics or {}).get("calibration")
    if not calibration or not calibration.get("documents"):
        return None
    return (f"calibration: expected calibration error {calibration['ece']:.4f} "
            f"(largest bin gap {calibration['max_gap']:.4f})")


def reliability_table(calibration: dict) -> list[str]:
    """The reliability diagram as text: per confidence bin, documents, confidence, accuracy."""
    lines = ["reliability (confidence of the predicted class)",
             "  bin          documents  confidence  accuracy"]
    for entry in calibration.get("bins", []):
        if not entry["count"]:
            continue
        lines.append(f"  {entry['lower']:.1f}-{entry['upper']:.1f}  {entry['count']:>13}  "
                     f"{entry['confidence']:10.4f}  {entry['accuracy']:8.4f}")
    lines.append(f"  expected calibration error {calibration['ece']:.4f}")
    return lines


def stored_calibration_line(calibration: dict | None) -> str | None:
    """What the model file stores (temperature, threshold), for train and eval output."""
    if not calibration:
        return None
    parts = [f"temperature {calibration.get('temperature', 1.0):.3f}"]
    if calibration.get("threshold") is not None:
        parts.append(f"decision threshold {calibration['threshold']:.3f}")
    if calibration.get("ece_after") is not None:
        parts.append(f"validation ECE {calibration['ece_before']:.4f} -> "
                     f"{calibration['ece_after']:.4f}")
    return "stored calibration: " + ", ".join(parts)
