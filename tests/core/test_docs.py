"""The README stays a short front door and every link in the documentation leads somewhere.

The README must fit in 12 KB and open with the two commands (`make run`, `make test`); the rest
lives in docs/. A relative link must name a file that exists and, with `#anchor`, a heading
of that file under GitHub's anchor rules, so a page moved or a heading renamed fails here
instead of leaving a reader at a dead end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
README_BUDGET_BYTES = 12 * 1024

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s[^>]*(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:...


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (links and headings there are only examples)."""
    lines, fence = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and (fence is None or match.group(1).startswith(fence)):
            fence = match.group(1)[:3] if fence is None else None
            continue
        if fence is None:
            lines.append(line)
    return lines


def code_blocks(text: str) -> list[str]:
    """The contents of every fenced code block, in order."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if FENCE.match(line):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: markup dropped, lowercase, punctuation removed
    (letters, digits, '_' and '-' stay), each space becomes '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a page offers: its headings (repeats get -1, -2, ...) and HTML anchors."""
    text = path.read_text(encoding="utf-8")
    found: set[str] = set(HTML_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for line in prose_lines(text):
        match = ATX_HEADING.match(line)
        if not match:
            continue
        slug = github_anchor(match.group(1))
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def link_targets(path: Path) -> list[str]:
    """Targets of inline links, images and reference definitions outside code."""
    prose = INLINE_CODE.sub("", "\n".join(prose_lines(path.read_text(encoding="utf-8"))))
    return LINK_TARGET.findall(prose) + REFERENCE_DEFINITION.findall(prose)


def broken_links(pages: list[Path], root: Path) -> list[str]:
    """'page: target (why)' for every relative link that leads nowhere."""
    problems = []
    for page in pages:
        for target in link_targets(page):
            if EXTERNAL.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            if file_part.startswith("/"):
                destination = root / file_part.lstrip("/")
            else:
                destination = (page.parent / file_part) if file_part else page
            where = f"{page.relative_to(root)}: {target}"
            if not destination.exists():
                problems.append(f"{where} (no such file)")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                problems.append(f"{where} (no heading with that anchor)")
    return problems


def documentation_pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


# --- the real documentation ---------------------------------------------------------------

def test_readme_fits_its_budget() -> None:
    size = len(README.read_bytes())
    assert size <= README_BUDGET_BYTES, (
        f"README.md is {size:,} bytes; keep it under {README_BUDGET_BYTES:,} and move detail "
        "into docs/")


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = code_blocks(text)[0]
    assert "make run" in first_block
    assert "make test" in first_block
    # ...and in the first section, before a newcomer has to scroll past anything else.
    second_section = [m.start() for m in re.finditer(r"^## ", text, re.MULTILINE)][1]
    assert text.index(first_block) < second_section


def test_every_relative_link_leads_somewhere() -> None:
    assert broken_links(documentation_pages(), REPO_ROOT) == []


def test_the_index_lists_every_docs_page() -> None:
    index = DOCS / "README.md"
    linked = {(DOCS / target.partition("#")[0]).resolve() for target in link_targets(index)}
    missing = [page.name for page in sorted(DOCS.glob("*.md"))
               if page != index and page.resolve() not in linked]
    assert missing == [], f"add these pages to docs/README.md: {missing}"


def test_the_readme_links_the_index() -> None:
    assert "docs/README.md" in link_targets(README)


# --- the checker itself ---------------------------------------------------------------------

@pytest.mark.parametrize(("heading", "anchor"), [
    # The first two are anchors the old README linked to on GitHub; the rest follow the rule.
    ("The desktop app (window, Data, Clean and Vocabulary tabs, projects, self-test)",
     "the-desktop-app-window-data-clean-and-vocabulary-tabs-projects-self-test"),
    ("Installers: a double-click LSTM Studio", "installers-a-double-click-lstm-studio"),
    ("Configure & train", "configure--train"),
    ("Architecture: gate tracing (`lstm_studio/core/gates/`)",
     "architecture-gate-tracing-lstm_studiocoregates"),
    ("`bench_gates.py`", "bench_gatespy"),
    ("Tiếng Việt có dấu", "tiếng-việt-có-dấu"),
])
def test_anchor_rules(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor


def test_the_checker_finds_what_is_broken(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Usage\n\n## Usage\n\n```\n## Not a heading\n```\n", encoding="utf-8")
    page = tmp_path / "index.md"
    page.write_text(
        "# Index\n\n"
        "[ok](guide.md) [ok anchor](guide.md#usage) [repeated heading](guide.md#usage-1)\n"
        "[here](#index) [web](https://example.com) `[in code](missing.md)`\n"
        "```\n[in a block](missing.md)\n```\n"
        "[gone](missing.md) [wrong anchor](guide.md#setup) ![image](img/none.png)\n"
        "[code heading](guide.md#not-a-heading)\n"
        "[ref]: also-missing.md\n",
        encoding="utf-8")
    assert broken_links([page], tmp_path) == [
        "index.md: missing.md (no such file)",
        "index.md: guide.md#setup (no heading with that anchor)",
        "index.md: img/none.png (no such file)",
        "index.md: guide.md#not-a-heading (no heading with that anchor)",
        "index.md: also-missing.md (no such file)",
    ]


def test_first_code_block_is_found_after_prose(tmp_path: Path) -> None:
    text = "# T\n\nintro `inline`\n\n~~~bash\nmake run\nmake test\n~~~\n\n```\nother\n```\n"
    assert code_blocks(text) == ["make run\nmake test", "other"]
