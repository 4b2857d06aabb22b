"""`lstm-studio eval MODEL PATH...`: score a saved model on a split of some dataset.

The model's stored text pipeline (cleaning, normalisation, word segmentation, vocabulary) is
applied to every document, and every document of the split is scored: language filtering is a
training-data decision, so no document is dropped here (`train` never filters the test split
either, so both report on the same documents). `lstm-studio eval --project FILE`
scores the project's model on the project's data, split as the project splits it.
"""

from __future__ import annotations

import argparse

from lstm_studio.commands import quality_args
from lstm_studio.commands.common import (
    StderrBar,
    add_model_limit_argument,
    model_limits,
    print_json,
)
from lstm_studio.core.dataset import SPLITS


def register(subparsers: argparse._SubParsersAction) -> None:
    from lstm_studio.commands.data import add_source_arguments

    parser = subparsers.add_parser(
        "eval", help="evaluate a saved model on a dataset",
        description="Accuracy, macro-F1, per-class scores and the confusion matrix of a "
                    "classifier (loss and perplexity of a language model) on one split.")
    parser.add_argument("model", metavar="MODEL", nargs="?",
                        help="model file written by `train` (default: the --project's)")
    add_source_arguments(parser)
    parser.add_argument("--split", choices=[*SPLITS, "all"],
                        help="split to score (default: test when present, else all documents)")
    parser.add_argument("--misclassified", type=int, default=10, metavar="N",
                        help="misclassified documents to list (default 10)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    add_model_limit_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.commands.data import data_config_from_args
    from lstm_studio.commands.project_args import load_dataset, model_path, open_project
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.evaluation import evaluate

    project = open_project(args)
    bundle = load_checkpoint(model_path(args, project), limits=model_limits(args))
    data_config = data_config_from_args(args, project)
    dataset = load_dataset(data_config.sources, data_config, StderrBar("Reading").progress())
    split = args.split or ("test" if dataset.split("test") else "all")
    documents = dataset.documents if split == "all" else dataset.split(split)
    metrics = evaluate(bundle, documents, progress=StderrBar("Evaluating").progress(),
                       misclassified_limit=max(0, args.misclassified))
    metrics["split"] = split
    if bundle.calibration:
        metrics["stored_calibration"] = bundle.calibration
    if args.json:
        print_json(metrics)
        return 0
    print(format_evaluation(metrics))
    return 0


def format_evaluation(metrics: dict) -> str:
    if "accuracy" not in metrics:
        return (f"split {metrics['split']}: loss {metrics['loss']:.4f}, perplexity "
                f"{metrics['perplexity']:.2f} over {metrics['tokens']} tokens")
    lines = [f"split {metrics['split']}: all {metrics['documents']} documents scored, accuracy "
             f"{metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}", ""]
    width = max(8, *(len(label) for label in metrics["labels"]))
    lines.append(f"{'label':<{width}}  precision  recall      f1  support")
    for label, scores in metrics["per_class"].items():
        lines.append(f"{label:<{width}}  {scores['precision']:9.4f}  {scores['recall']:6.4f}  "
                     f"{scores['f1']:6.4f}  {scores['support']:7d}")
    lines += ["", "confusion (rows = true, columns = predicted)",
              " " * width + "  " + "  ".join(f"{label:>8}" for label in metrics["labels"])]
    for label, row in zip(metrics["labels"], metrics["confusion"], strict=True):
        lines.append(f"{label:<{width}}  " + "  ".join(f"{n:>8}" for n in row))
    if metrics.get("calibration"):
        lines += ["", *quality_args.reliability_table(metrics["calibration"])]
    stored = quality_args.stored_calibration_line(metrics.get("stored_calibration"))
    if stored:
        lines.append(stored + " (applied above)")
    wrong = metrics.get("misclassified") or []
    if wrong:
        lines += ["", "misclassified (first ones):"]
        for item in wrong:
            text = item["text"].replace("\n", " ")
            lines.append(f"  {item['label']} -> {item['predicted']} "
                         f"({item['probability']:.2f}) {item['source']}: {text[:80]}")
    return "\n".join(lines)
