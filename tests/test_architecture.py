"""The layer contracts in pyproject.toml ([tool.importlinter]) hold: core and the commands never
import the GUI or Qt, and the five tab packages never import each other.

import-linter comes with the `lint` extra (in `dev`); where it is missing the test says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
TABS = ("data", "clean", "vocab", "train", "inspect")


def contracts() -> list[dict]:
    with PYPROJECT.open("rb") as handle:
        return tomllib.load(handle)["tool"]["importlinter"]["contracts"]


def test_every_tab_package_is_under_the_independence_contract() -> None:
    """A tab added or renamed without updating the contract would escape it."""
    [independence] = [c for c in contracts() if c["type"] == "independence"]
    tab_packages = {f"lstm_studio.gui.{path.parent.name}"
                    for path in (REPO / "lstm_studio" / "gui").glob("*/__init__.py")
                    if path.parent.name != "widgets"}
    assert set(independence["modules"]) == tab_packages == {f"lstm_studio.gui.{t}" for t in TABS}


def test_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("importlinter.cli", reason="import-linter is in the `lint` extra "
                              "(pip install -e '.[dev]')")
    status = cli.lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert status == cli.EXIT_STATUS_SUCCESS, report
    assert f"Contracts: {len(contracts())} kept, 0 broken." in report
