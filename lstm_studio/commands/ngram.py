"""`lstm-studio ngram PATH --n 3 --context "i go to" --word school`: the count-based baseline.

Fits an n-gram model on the training split, prints P(word | context) with the counts behind
it, optionally a sentence's chain-rule probability, generated text, and the perplexity on the
validation split (comparable with a neural language model's on the same data).
"""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import print_json
from lstm_studio.commands.project_args import open_project
from lstm_studio.commands.train import add_cleaning_arguments, cleaning_config_from_args
from lstm_studio.core.ngram import SMOOTHINGS


def register(subparsers: argparse._SubParsersAction) -> None:
    from lstm_studio.commands.data import add_source_arguments

    parser = subparsers.add_parser(
        "ngram", help="count-based n-gram language model",
        description="P(w | h) = count(h w) / count(h) with smoothing, the chain-rule "
                    "probability of a sentence, generation and perplexity.")
    add_source_arguments(parser)
    add_cleaning_arguments(parser, default_lang="any")
    parser.add_argument("--n", type=int, default=3, help="order, 1 to 5 (default 3)")
    parser.add_argument("--smoothing", choices=SMOOTHINGS, default="add-k")
    parser.add_argument("--k", type=float, default=1.0, help="add-k constant (0: no smoothing)")
    parser.add_argument("--context", default="", help="history words h")
    parser.add_argument("--word", help="the word w whose probability P(w | h) to show")
    parser.add_argument("--sentence", help="a sentence whose chain-rule probability to show")
    parser.add_argument("--generate", type=int, metavar="N", help="generate N words after "
                        "--context")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.commands.train import load_and_clean
    from lstm_studio.core.ngram import NGramModel
    from lstm_studio.core.tokenize import tokenize

    project = open_project(args)
    cleaning = cleaning_config_from_args(args, project)
    dataset, _, _, cleaning = load_and_clean(args, cleaning, quiet=args.json, project=project)

    def words(text: str) -> list[str]:
        if cleaning is not None:
            from lstm_studio.core.cleaning import clean_text

            text = clean_text(text, cleaning)
        return tokenize(text)

    train = dataset.split("train") or dataset.documents
    model = NGramModel(args.n, args.smoothing, args.k).fit(tokenize(d.text) for d in train)
    valid = dataset.split("valid")
    result: dict = {"n": model.n, "smoothing": model.smoothing, "k": model.k,
                    "train_sentences": len(train), "vocab_size": model.vocab_size,
                    "tokens": model.total_tokens}
    context = words(args.context)
    if args.word is not None:
        word = words(args.word)
        result["explain"] = model.explain(word[0] if word else args.word, context)
    if args.sentence:
        tokens = words(args.sentence)
        result["sentence"] = {
            "tokens": tokens, "probability": model.sentence_probability(tokens),
            "terms": [{"word": w, "context": h, "probability": p}
                      for w, h, p in model.sentence_terms(tokens)]}
    if args.generate:
        result["generated"] = model.generate(context, args.generate, args.seed,
                                             args.temperature)
    if valid:
        result["valid_perplexity"] = model.perplexity(tokenize(d.text) for d in valid)
    if args.json:
        print_json(result)
        return 0
    print(f"{model.n}-gram model ({model.smoothing}"
          f"{f', k={model.k:g}' if model.smoothing == 'add-k' else ''}) on {len(train)} "
          f"sentences, {model.total_tokens} tokens, vocabulary {model.vocab_size}")
    if "explain" in result:
        info = result["explain"]
        print(info["formula"])
        for order in info["orders"]:
            h = " ".join(order["context"])
            print(f"  order {order['order']}: count({' '.join([*order['context'], info['word']])})"
                  f" = {order['count_ngram']}, count({h or '*'}) = {order['count_context']}")
    if "sentence" in result:
        info = result["sentence"]
        factors = " · ".join(
            f"P({t['word']}{' | ' + ' '.join(t['context']) if t['context'] else ''})"
            for t in info["terms"])
        print(f"P({' '.join(info['tokens'])}) = {factors} = {info['probability']:.6g}")
    if "generated" in result:
        print("generated: " + " ".join([*context, *result["generated"]]))
    if "valid_perplexity" in result:
        print(f"validation perplexity: {result['valid_perplexity']:.2f}")
    return 0
