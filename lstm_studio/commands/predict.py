"""`lstm-studio predict MODEL "text"`: a classifier's label and probabilities for one text.

The text goes through the model's stored text pipeline (cleaning, normalisation, word
segmentation, vocabulary), exactly as in training, and the output shows the tokens the model
read, unknown ones marked. For a language model it prints the most likely next words instead.
`--project FILE` without MODEL uses the model the project was trained into.
"""

from __future__ import annotations

import argparse
import sys

from lstm_studio.commands.common import add_model_limit_argument, model_limits, print_json
from lstm_studio.commands.project_args import add_project_argument, model_path, open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="classify a text with a saved model",
        description="Apply the model's cleaning and vocabulary to TEXT and print the predicted "
                    "label with every label's probability (next words for a language model).")
    parser.add_argument("model", metavar="MODEL", nargs="?",
                        help="model file written by `train` (default: the --project's)")
    parser.add_argument("text", metavar="TEXT", help="the text to classify")
    add_project_argument(parser)
    parser.add_argument("--top", type=int, default=10, help="next words to list (language model)")
    parser.add_argument("--json", action="store_true", help="print the prediction as JSON")
    add_model_limit_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.prediction import classification_record, next_words_record

    bundle = load_checkpoint(model_path(args, open_project(args)), limits=model_limits(args))
    encoded = bundle.prepare(args.text)
    pipeline = bundle.pipeline
    for note in pipeline.notes():
        print(f"Note: {note}", file=sys.stderr)
    if bundle.task == "lm":
        words = bundle.next_word_distribution(args.text, k=args.top)
        if args.json:
            print_json(next_words_record(encoded, words, pipeline))
        else:
            for word, p in words:
                print(f"{p:.4f}  {word}")
        return 0
    probabilities = bundle.predict(args.text)
    # the stored decision threshold, if any, decides the label
    record = classification_record(encoded, probabilities, pipeline,
                                   bundle.label_for(probabilities))
    label = record["label"]
    if args.json:
        print_json(record)
        return 0
    print(f"{label} ({probabilities[label]:.4f})")
    for name, p in sorted(probabilities.items(), key=lambda item: -item[1]):
        print(f"  {name:<12} {p:.4f}")
    print("  model reads: " + marked_tokens(encoded.tokens, encoded.oov)
          + ("  (* = not in the vocabulary)" if any(encoded.oov) else ""))
    return 0


def marked_tokens(tokens: list[str], oov: list[bool]) -> str:
    """The tokens as the model read them, unknown ones starred (as `inspect` marks them)."""
    return " ".join(token + ("*" if unknown else "")
                    for token, unknown in zip(tokens, oov, strict=True)) or "(no tokens)"
