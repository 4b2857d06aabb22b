"""A small document model rendered twice: as Markdown and as a self-contained HTML page.

The card is built once as a list of blocks (headings, paragraphs, lists, tables, figures) so
its Markdown and HTML forms can never say different things. Figures are SVG: the Markdown
links the .svg file written beside it; the HTML page carries the same SVG inline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: Sequence[str]


@dataclass
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]


@dataclass
class Figure:
    file_name: str  # written beside the card
    svg: str
    caption: str


Block = Heading | Paragraph | Bullets | Table | Figure


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def to_markdown(blocks: Sequence[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Bullets):
            lines += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            def row(values: Sequence[object]) -> str:
                return "| " + " | ".join(_cell(v).replace("|", "\\|") for v in values) + " |"

            lines += [row(block.headers), "|" + "---|" * len(block.headers)]
            lines += [row(values) for values in block.rows] + [""]
        else:
            lines += [f"![{block.caption}]({block.file_name})", "", f"*{block.caption}*", ""]
    return "\n".join(lines).rstrip() + "\n"


STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
code { background: #f3f3f3; padding: 0 0.2em; }
"""


def _inline(text: str) -> str:
    """Escape, then turn Markdown `code` spans into <code>."""
    parts = escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def to_html(blocks: Sequence[Block], title: str) -> str:
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items)
                        + "</ul>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{_inline(h)}</th>" for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(
                    f"<td class='num'>{_cell(v)}</td>" if isinstance(v, (int, float))
                    else f"<td>{_inline(_cell(v))}</td>" for v in values) + "</tr>"
                for values in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        else:
            body.append(f"<figure>{block.svg}<figcaption>{_inline(block.caption)}"
                        "</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
