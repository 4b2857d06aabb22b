"""`lstm-studio word2vec PATH... --out vectors.vec`: word vectors from the user's own corpus.

Loads and cleans the sources like `train`, trains word2vec (gensim, the 'word2vec' extra) on
the training split plus an optional unlabelled text file (one text per line) and writes a
word2vec text file that `train --embeddings` (and the Train tab) can start from.
"""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import StderrBar, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    from lstm_studio.commands.data import add_source_arguments
    from lstm_studio.commands.train import add_cleaning_arguments

    parser = subparsers.add_parser(
        "word2vec", help="train word vectors on your own corpus (needs the word2vec extra)",
        description="Train word2vec on the training split (and --extra unlabelled text) with "
                    "the app's tokenizer and write a .vec file for train --embeddings.")
    add_source_arguments(parser)
    add_cleaning_arguments(parser)
    parser.add_argument("--out", required=True, metavar="FILE", help="vector file to write")
    parser.add_argument("--extra", metavar="FILE", help="unlabelled text, one text per line")
    parser.add_argument("--dim", type=int, default=128, help="vector size (default 128)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--json", action="store_true", help="print a summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.commands.train import cleaning_config_from_args, load_and_clean
    from lstm_studio.core.word2vec import Word2VecSettings, save_vec, train_word2vec

    cleaning = cleaning_config_from_args(args)
    dataset, _, _, _ = load_and_clean(args, cleaning, quiet=args.json)
    texts = [doc.text for doc in dataset.split("train")] or [d.text for d in dataset.documents]
    settings = Word2VecSettings(dim=args.dim, window=args.window, min_count=args.min_count,
                                epochs=args.epochs, skip_gram=not args.cbow, seed=args.seed,
                                threads=args.threads)
    keyed = train_word2vec(texts, settings, extra=args.extra,
                           progress=StderrBar("word2vec").progress())
    path = save_vec(keyed, args.out)
    summary = {"out": str(path), "words": len(keyed), "dim": args.dim, "texts": len(texts),
               "extra": args.extra}
    if args.json:
        print_json(summary)
    else:
        print(f"{len(keyed):,} word vectors of size {args.dim} from {len(texts):,} texts"
              f"{' and ' + args.extra if args.extra else ''} written to {path}")
    return 0
