"""Tokens are what lies between whitespace.

NTC-SCV is already word-segmented: the syllables of a Vietnamese word are joined by "_"
("nhân_viên phục_vụ"), so splitting on whitespace yields words, the unit the lecture's
index-based representation numbers. Cleaning has removed punctuation by then.
"""

from __future__ import annotations


def tokenize(text: str) -> list[str]:
    return text.split()
