"""`lstm-studio export MODEL --format onnx|script|card --out PATH`: take a model out of the app.

* onnx: the network as ONNX with its text pipeline, for `python -m lstm_studio.portable`,
  onnxruntime in a web service, or any other ONNX runtime (needs the `export` extra);
* script: a single PyTorch file that trains the same kind of model on the same data;
* card: a model card in Markdown and HTML, with figures from `--data` when given.
"""

from __future__ import annotations

import argparse
import sys

from lstm_studio.commands.common import StderrBar, print_json
from lstm_studio.core.dataset import SPLITS
from lstm_studio.core.export.common import FORMATS, SUFFIXES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="export a model: ONNX, a PyTorch training script, a model card",
        description="Export a saved model. "
                    + "; ".join(f"{name}: {what}" for name, what in FORMATS.items()) + ".")
    parser.add_argument("model", metavar="MODEL", help="model file written by `train`")
    parser.add_argument("--format", choices=list(FORMATS), default="onnx",
                        help="what to write (default: onnx)")
    parser.add_argument("--out", metavar="PATH",
                        help="file to write (default: MODEL's name with .onnx, _train.py or .md)")
    parser.add_argument("--data", nargs="*", metavar="PATH",
                        help="card: dataset sources to compute the cleaning report, split sizes, "
                             "confusion matrices and calibration from (no PATH: the sources "
                             "the model was trained on)")
    parser.add_argument("--split", choices=list(SPLITS),
                        help="card: split to compute the calibration on (default: test, "
                             "else valid)")
    parser.add_argument("--json", action="store_true", help="print the files written as JSON")
    parser.set_defaults(func=run)


def default_out(model: str, fmt: str) -> str:
    stem = model[:-len(".safetensors")] if model.endswith(".safetensors") else model
    if fmt == "script":
        return stem + "_train.py"
    return stem + SUFFIXES[fmt]


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.export.exporter import export_model

    out = args.out or default_out(args.model, args.format)
    progress = StderrBar("Exporting").progress()
    result = export_model(args.model, args.format, out, data=args.data, split=args.split,
                          progress=progress)
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.message)
        for path in result.files:
            print(f"  {path}")
    if args.data is not None and args.format != "card":
        print("note: --data only applies to --format card", file=sys.stderr)
    return 0
