"""`lstm-studio explain MODEL TEXT`: which words made the model decide what it decided.

    lstm-studio explain MODEL "text" [--method ig|occlusion] [--target LABEL] [--json]

Integrated gradients (default) or occlusion, per token, for a classifier's class (default: the
predicted one) or a language model's next word after the text (default: the likeliest). The
JSON keys `tokens`, `attributions`, `probabilities`, `target` (and for integrated gradients
`completeness_error` and `steps`) are a contract; see docs/explain.md.
"""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import StderrBar, print_json

BAR = 24  # characters for the largest attribution in the text output


def register(subparsers: argparse._SubParsersAction) -> None:
    from lstm_studio.core.explain.steps import FIRST_STEPS, MAX_STEPS

    parser = subparsers.add_parser(
        "explain", help="attribute a prediction to the words of a text",
        description="Per-token attributions of a saved model's prediction: integrated "
                    "gradients on the embeddings (with their completeness error) or occlusion "
                    "(each word replaced by <unk>). Language models: the next word after the "
                    "text is explained.")
    parser.add_argument("model", metavar="MODEL", help="model file written by `train`")
    parser.add_argument("text", metavar="TEXT", help="the text to explain")
    parser.add_argument("--method", choices=("ig", "occlusion"), default="ig",
                        help="ig: integrated gradients (default); occlusion: replace each word")
    parser.add_argument("--target", metavar="LABEL",
                        help="class (or next word) to explain; default: the model's choice")
    parser.add_argument("--steps", type=int, metavar="N",
                        help=f"integrated-gradients steps to start from (default {FIRST_STEPS}; "
                             "raised until the completeness error is at most 1%%, up to "
                             f"{MAX_STEPS})")
    parser.add_argument("--whole", action="store_true",
                        help="read the whole text, not only the first max_len tokens the model "
                             "reads when predicting")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.explain.attribution import explain

    bundle = load_checkpoint(args.model)
    result = explain(bundle, args.text, args.method, args.target, steps=args.steps,
                     max_len=None if args.whole else "model",
                     progress=StderrBar("Explaining").progress())
    if args.json:
        print_json(result.to_dict())
        return 0
    print(format_attribution(result))
    return 0


def format_attribution(result) -> str:
    """A table: token, attribution and a bar (+ right of the axis, − left)."""
    what = "next word" if result.task == "lm" else "class"
    method = "integrated gradients" if result.method == "ig" else "occlusion"
    lines = [f"{what} {result.target!r} (p = {result.target_probability:.4f}), {method}"]
    if result.method == "ig":
        lines.append(f"baseline (padding) p = {result.baseline_probability:.4f}; "
                     f"completeness error {result.completeness_error:.3%} with {result.steps} "
                     "steps")
    scale = max((abs(v) for v in result.attributions), default=0.0) or 1.0
    width = max(8, *(len(t) for t in result.tokens[:200]))
    for token, value, unknown in zip(result.tokens, result.attributions, result.oov,
                                     strict=True):
        length = round(BAR * abs(value) / scale)
        bar = (" " * BAR + "|" + "+" * length) if value >= 0 else \
            (" " * (BAR - length) + "-" * length + "|")
        name = token + ("*" if unknown else "")
        lines.append(f"{name:<{width + 1}} {value:+.4f} {bar}")
    if result.truncated:
        lines.append(f"({result.truncated} tokens past the model's max_len are not read; "
                     "--whole reads them)")
    if any(result.oov):
        lines.append("* not in the vocabulary (read as <unk>)")
    if result.note:
        lines.append(f"Note: {result.note}")
    return "\n".join(lines)
