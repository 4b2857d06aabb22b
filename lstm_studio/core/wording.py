"""Counted phrases in plain English: "1 copy", "3 copies", "12,000 documents".

Reports are read by students; "1 extra copies in 1 groups" reads as a bug. Every place that
puts a number before a noun builds the phrase here, so the rule lives once. Torch-free and
Qt-free: the command line and the window both use it.
"""

from __future__ import annotations

_VOWELS = "aeiou"
# A final "ch" said as /k/ takes a plain "s": epochs, not "epoches".
_HARD_CH = ("epoch", "stomach", "monarch")


def plural_noun(noun: str) -> str:
    """The regular English plural of `noun` (its last word, for phrases like "extra copy").

    Covers the nouns the app counts: copy → copies, class → classes, box → boxes,
    day → days, document → documents. Irregular nouns pass their plural to `plural()`.
    """
    if len(noun) > 1 and noun.endswith("y") and noun[-2].lower() not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.lower().endswith(_HARD_CH):
        return noun + "s"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`count` and `noun`, singular for exactly one: plural(1, "copy") == "1 copy".

    The count gets thousands separators (plural(12000, "document") == "12,000 documents").
    `plural_form` overrides the regular rule for irregular nouns ("child", "children").
    """
    word = noun if count == 1 else (plural_form or plural_noun(noun))
    return f"{count:,} {word}"


def verb(count: int, singular: str, plural_verb: str) -> str:
    """The verb form that agrees with `count`: verb(1, "has", "have") == "has"."""
    return singular if count == 1 else plural_verb
