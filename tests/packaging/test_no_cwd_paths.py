"""No code under lstm_studio/ depends on the current directory.

A double-clicked app starts in whatever folder the desktop chooses, so shipped files are found
only through lstm_studio.resources_path and user files only through paths the user gave.
Flagged: Path.cwd(), os.getcwd(), os.chdir(), and string literals that name a shipped
resource by a relative path ("resources/...", "samples/...", "icons/..."). A line that really
means the current directory (say, a CLI default) can say so with a `# cwd-ok: why` comment.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lstm_studio"
CWD_CALLS = {("Path", "cwd"), ("os", "getcwd"), ("os", "getcwdb"), ("os", "chdir"),
             ("pathlib.Path", "cwd")}
BARE_CWD_CALLS = {"getcwd", "getcwdb", "chdir"}
RELATIVE_RESOURCE = re.compile(r"^(\./)?(resources|samples|icons)[/\\]")


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def violations(path: Path) -> list[tuple[int, str]]:
    """(line, what) for each use of the current directory in one source file, in line order."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        problem = None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and (dotted(func.value), func.attr) in CWD_CALLS:
                problem = f"{dotted(func)}()"
            elif isinstance(func, ast.Name) and func.id in BARE_CWD_CALLS:
                problem = f"{func.id}()"
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and RELATIVE_RESOURCE.match(node.value)):
            problem = f"relative resource path {node.value!r}"
        if problem and "cwd-ok:" not in lines[node.lineno - 1]:
            found.append((node.lineno, problem))
    return sorted(found)


def test_no_module_resolves_paths_against_the_current_directory() -> None:
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
                 for path in sorted(PACKAGE.rglob("*.py")) for line, what in violations(path)]
    assert offenders == []


def test_the_checker_sees_each_kind_of_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\nfrom os import getcwd\nfrom pathlib import Path\n"
        "a = Path.cwd()\nb = os.getcwd()\nc = getcwd()\nos.chdir('x')\n"
        "d = open('resources/samples/reviews.csv')\ne = Path('samples/lm-text.txt')\n"
        "f = Path.cwd()  # cwd-ok: the user's own relative path\n"
        "g = Path(__file__).parent / 'samples'\n",
        encoding="utf-8",
    )
    assert [line for line, _ in violations(bad)] == [4, 5, 6, 7, 8, 9]
