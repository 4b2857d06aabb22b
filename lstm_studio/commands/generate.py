"""`lstm-studio generate MODEL --prompt "..."`: continue a prompt with a language model."""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import add_model_limit_argument, model_limits, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate", help="generate text with a saved language model",
        description="Sample words after the prompt, one at a time, until <eos> or --max-tokens.")
    parser.add_argument("model", metavar="MODEL", help="language model written by `train`")
    parser.add_argument("--prompt", default="", help="the start of the text")
    parser.add_argument("--max-tokens", type=int, default=20)
    parser.add_argument("--temperature", type=float, default=1.0, help="0 = most likely word")
    parser.add_argument("--top-k", type=int, help="sample among the k most likely words only")
    parser.add_argument("--seed", type=int, help="repeatable sampling")
    parser.add_argument("--json", action="store_true")
    add_model_limit_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.generation import generate

    bundle = load_checkpoint(args.model, limits=model_limits(args))
    words = generate(bundle, args.prompt, max_tokens=args.max_tokens,
                     temperature=args.temperature, top_k=args.top_k, seed=args.seed)
    prompt = " ".join(bundle.prepare(args.prompt).tokens)
    if args.json:
        print_json({"prompt": prompt, "generated": words,
                    "text": " ".join(filter(None, [prompt, *words]))})
    else:
        print(" ".join(filter(None, [prompt, *words])))
    return 0
