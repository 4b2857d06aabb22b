"""Before/after HTML for the Clean tab: removed parts of the original highlighted.

Short texts are compared character by character; long ones token by token, which keeps
difflib fast on 7,000-character reviews. Case changes (the lowercase step) are not removals,
so matching ignores case while the original characters are displayed.
"""

from __future__ import annotations

import difflib
import html
import re

from lstm_studio.gui.widgets.theme import highlight_colors

CHAR_LIMIT = 2500


def _units(text: str, by_chars: bool) -> list[str]:
    return list(text) if by_chars else re.findall(r"\S+|\s+", text)


def _span(text: str, kind: str, colors: dict[str, tuple[str, str]]) -> str:
    background, foreground = colors[kind]
    return (f'<span style="background-color:{background}; color:{foreground};">'
            f"{html.escape(text)}</span>")


def diff_html(before: str, after: str) -> tuple[str, str, int]:
    """(before_html, after_html, removed_units): removals marked in `before`, additions in
    `after`."""
    by_chars = max(len(before), len(after)) <= CHAR_LIMIT
    a, b = _units(before, by_chars), _units(after, by_chars)
    matcher = difflib.SequenceMatcher(None, [u.lower() for u in a], [u.lower() for u in b],
                                      autojunk=False)
    colors = highlight_colors()
    left: list[str] = []
    right: list[str] = []
    removed = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            left.append(html.escape(old))
            right.append(html.escape(new))
            continue
        if old:
            left.append(_span(old, "removed", colors))
            removed += i2 - i1
        if new and not new.isspace():
            right.append(_span(new, "added", colors))
        else:
            right.append(html.escape(new))
    style = "white-space: pre-wrap;"
    return (f'<div style="{style}">{"".join(left)}</div>',
            f'<div style="{style}">{"".join(right)}</div>', removed)
