"""Counted phrases: singular for exactly one, regular and irregular plurals, separators."""

from __future__ import annotations

import pytest

from lstm_studio.core.wording import plural, plural_noun, verb


@pytest.mark.parametrize(("noun", "expected"), [
    ("document", "documents"), ("copy", "copies"), ("extra copy", "extra copies"),
    ("class", "classes"), ("box", "boxes"), ("match", "matches"), ("day", "days"),
    ("key", "keys"), ("group", "groups"), ("y", "ys"), ("epoch", "epochs"),
])
def test_regular_plurals(noun: str, expected: str) -> None:
    assert plural_noun(noun) == expected


def test_singular_only_for_exactly_one() -> None:
    assert plural(1, "copy") == "1 copy"
    assert plural(0, "copy") == "0 copies"
    assert plural(2, "group") == "2 groups"
    assert plural(12_000, "document") == "12,000 documents"
    assert plural(1, "child", "children") == "1 child"
    assert plural(3, "child", "children") == "3 children"


def test_verb_agrees_with_the_count() -> None:
    assert f"{plural(1, 'line')} {verb(1, 'has', 'have')}" == "1 line has"
    assert f"{plural(4, 'line')} {verb(4, 'has', 'have')}" == "4 lines have"
