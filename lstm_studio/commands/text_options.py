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
    parser.add_argument("--segment", choices=SEGMENT_MODES,
                        help="join the syllables of Vietnamese words with _ (pyvi); auto: on "
                             "when most documents use Vietnamese letters "
                             f"(default {defaults.segment})")
    parser.add_argument("--tone-style", choices=TONE_STYLES,
                        help="tone-mark placement to keep: new (hoà, thuý) or old (hòa, "
                             f"thúy) (default {defaults.tone_style})")
    parser.add_argument("--abbreviations", metavar="FILE",
                        help="chat-abbreviation table, one 'short = expansion' per line "
                             "(default: the shipped table; `lstm-studio text "
                             "--abbreviations-table` prints it)")
    parser.add_argument("--short-text-words", type=int, metavar="N",
                        help="texts with fewer words are judged by the language filter's "
                             f"short-text rules (default {defaults.short_text_words})")
    parser.add_argument("--filter-valid", action="store_true", default=None,
                        help="let the language and empty filters drop validation documents "
                             "too (the test split is never filtered)")


def apply_text_arguments(config: CleaningConfig, args: argparse.Namespace) -> CleaningConfig:
    """`config` (the defaults, or a project's settings) with the text flags given here on top
    (a bad table file is a ConfigError naming it)."""
    given = {"segment": args.segment, "tone_style": args.tone_style,
             "short_text_words": args.short_text_words}
    changes = {key: value for key, value in given.items() if value is not None}
    if args.abbreviations:
        changes["abbreviations"] = read_table(args.abbreviations)
    if args.filter_valid:
        changes["filter_splits"] = ["train", "valid"]
    return replace(config, **changes)


def text_arguments_given(args: argparse.Namespace) -> bool:
    """Whether any of these flags was given on the command line."""
    return any(value is not None for value in (args.segment, args.tone_style,
                                               args.short_text_words, args.abbreviations,
                                               args.filter_valid))
