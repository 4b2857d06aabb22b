"""What every adversarial case asserts, in one place (no test here).

A refused input must give exit status 2 and exactly one line on stderr that starts with
`lstm-studio: error:` and carries no traceback, and it must leave nothing behind: no model
file, no temporary file beside it, no run in the history.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_studio.cli import main
from lstm_studio.core.runs import RunStore


def cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI, expect a refusal; returns the one error line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("lstm-studio: error: "), err
    return lines[0]


def refused_by_data_and_train(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              sources: list[str], *flags: str) -> str:
    """`data` and `train` both refuse `sources` with the same line; `train` writes nothing."""
    line = cli_error(capsys, ["data", *sources, *flags])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    again = cli_error(capsys, ["train", *sources, *flags, "--out", str(out_dir / "m.safetensors"),
                               "--epochs", "1"])
    assert again == line
    assert list(out_dir.iterdir()) == []
    assert RunStore().list_runs() == []
    return line
