"""Without the gui extra, asking for the window is one clear line and exit 2, never a traceback.

A `None` entry in sys.modules makes `import X` fail as if X were not installed, so these run
the same whether or not this environment has PySide6 (the Qt-free CI job has not).
"""

from __future__ import annotations

import sys

import pytest

from lstm_studio.cli import main, open_window


@pytest.mark.parametrize("missing", ["PySide6", "pyqtgraph"])
@pytest.mark.parametrize("argv", [[], ["--self-test"]])
def test_window_without_the_gui_extra_says_what_to_install(
        missing: str, argv: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    if missing == "PySide6":
        monkeypatch.setitem(sys.modules, "PySide6.QtWidgets", None)
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lstm-studio: error: the window needs the gui extra")
    assert 'pip install "lstm-studio[gui]"' in lines[0]
    assert captured.out == ""


def test_gui_entry_point_without_the_extra_exits_2(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "PySide6", None)
    monkeypatch.setitem(sys.modules, "PySide6.QtWidgets", None)
    assert open_window() == 2
    assert "lstm-studio[gui]" in capsys.readouterr().err


def test_subcommands_never_need_the_gui_extra(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("PySide6", "PySide6.QtWidgets", "pyqtgraph", "shiboken6"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["inspect", "--toy", "lecture", "--json"]) == 0
    assert capsys.readouterr().out.lstrip().startswith("{")
