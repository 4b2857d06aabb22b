"""The Vietnamese text flags every command that cleans text shares (clean, train, ngram, text).

    --segment auto|on|off     word segmentation (auto: on for a corpus in Vietnamese letters)
    --tone-style new|old      tone marks to one style (new: hoà, thuý; old: hòa, thúy)
    --abbreviations FILE      the chat-abbreviation table ("ko = không" lines)
    --short-text-words N      the language filter's short-text length (default 5 words)
    --filter-valid            filters also drop validation documents (never test ones)

The steps themselves are switched like the others: `clean --no-expand-abbreviations`,
`train --skip-step normalize_tone_marks`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from lstm_studio.core.config import SEGMENT_MODES, TONE_STYLES, CleaningConfig
from lstm_studio.core.normalization import read_table


def add_text_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    defaults = CleaningConfig()
    parser.add_argument("--segment", choices=SEGMENT_MODES, default=defaults.segment,
                        help="join the syllables of Vietnamese words with _ (pyvi); auto: on "
                             "when most documents use Vietnamese letters (default auto)")
    parser.add_argument("--tone-style", choices=TONE_STYLES, default=defaults.tone_style,
                        help="tone-mark placement to keep: new (hoà, thuý) or old (hòa, "
                             "thúy) (default new)")
    parser.add_argument("--abbreviations", metavar="FILE",
                        help="chat-abbreviation table, one 'short = expansion' per line "
                             "(default: the shipped table; `lstm-studio text "
                             "--abbreviations-table` prints it)")
    parser.add_argument("--short-text-words", type=int, default=defaults.short_text_words,
                        metavar="N", help="texts with fewer words are judged by the "
                                          "language filter's short-text rules (default 5)")
    parser.add_argument("--filter-valid", action="store_true",
                        help="let the language and empty filters drop validation documents "
                             "too (the test split is never filtered)")


def apply_text_arguments(config: CleaningConfig, args: argparse.Namespace) -> CleaningConfig:
    """`config` with the text flags applied (a bad table file is a ConfigError naming it)."""
    table = read_table(args.abbreviations) if args.abbreviations else config.abbreviations
    return replace(config, segment=args.segment, tone_style=args.tone_style,
                   abbreviations=table, short_text_words=args.short_text_words,
                   filter_splits=["train", "valid"] if args.filter_valid else ["train"])
