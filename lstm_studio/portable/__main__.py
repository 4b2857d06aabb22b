"""`python -m lstm_studio.portable MODEL.onnx TEXT`: the prediction as `predict --json` prints it.

Errors a user can cause (a missing or foreign file, no onnxruntime) are one line on stderr and
exit status 2, as with `lstm-studio`.
"""

from __future__ import annotations

import argparse
import json
import sys

from lstm_studio.core.errors import UserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_studio.portable",
        description="Classify TEXT with an ONNX model exported by LSTM Studio (next words for "
                    "a language model), without PyTorch; prints JSON like `predict --json`.")
    parser.add_argument("model", metavar="MODEL.onnx")
    parser.add_argument("text", metavar="TEXT", nargs="?",
                        help="the text (default: read it from standard input)")
    parser.add_argument("--top", type=int, default=10, help="next words to list (language model)")
    parser.add_argument("--threads", type=int, help="onnxruntime threads")
    args = parser.parse_args(argv)
    from lstm_studio.portable.predictor import load

    try:
        text = args.text if args.text is not None else sys.stdin.read()
        record = load(args.model, args.threads).record(text, args.top)
    except UserError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    json.dump(record, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
