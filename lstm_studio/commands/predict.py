"""`lstm-studio predict MODEL "text"`: a classifier's label and probabilities for one text.

The text goes through the model's stored cleaning and vocabulary, exactly as in training. For
a language model it prints the most likely next words instead.
"""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="classify a text with a saved model",
        description="Apply the model's cleaning and vocabulary to TEXT and print the predicted "
                    "label with every label's probability (next words for a language model).")
    parser.add_argument("model", metavar="MODEL", help="model file written by `train`")
    parser.add_argument("text", metavar="TEXT", help="the text to classify")
    parser.add_argument("--top", type=int, default=10, help="next words to list (language model)")
    parser.add_argument("--json", action="store_true", help="print the prediction as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.checkpoint import load_checkpoint

    bundle = load_checkpoint(args.model)
    encoded = bundle.prepare(args.text)
    tokens = {"cleaned": encoded.cleaned, "tokens": encoded.tokens,
              "oov": [t for t, o in zip(encoded.tokens, encoded.oov, strict=True) if o]}
    if bundle.task == "lm":
        words = bundle.next_word_distribution(args.text, k=args.top)
        if args.json:
            print_json({"next_words": [{"word": w, "probability": p} for w, p in words],
                        **tokens})
        else:
            for word, p in words:
                print(f"{p:.4f}  {word}")
        return 0
    probabilities = bundle.predict(args.text)
    label = bundle.label_for(probabilities)  # the stored decision threshold, if any
    if args.json:
        print_json({"label": label, "probabilities": probabilities, **tokens})
        return 0
    print(f"{label} ({probabilities[label]:.4f})")
    for name, p in sorted(probabilities.items(), key=lambda item: -item[1]):
        print(f"  {name:<12} {p:.4f}")
    if tokens["oov"]:
        print(f"  unknown words: {' '.join(tokens['oov'])}")
    return 0
