"""`lstm-studio data` end to end through lstm_studio.cli.main."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_studio.cli import main


@pytest.fixture
def two_sources(tmp_path: Path) -> list[Path]:
    for split, n in (("train", 3), ("test", 1)):
        for label in ("pos", "neg"):
            folder = tmp_path / "data_train" / split / label
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}.txt").write_text(f"{label} review {split} {i}\n", encoding="utf-8")
    extra = tmp_path / "extra.csv"
    extra.write_text('review,sentiment\n"ngon quá",pos\n"dở quá",neg\n"ngon quá",pos\n',
                     encoding="utf-8")
    return [tmp_path / "data_train", extra]


def test_data_table(two_sources: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", *map(str, two_sources)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("11 documents from 2 sources in ")
    lines = out.splitlines()
    assert lines[2].split() == ["split", "neg", "pos", "total"]
    assert lines[3].split() == ["train", "4", "5", "9"]
    assert lines[4].split() == ["test", "1", "1", "2"]
    assert lines[5].split() == ["total", "5", "6", "11"]
    assert ("Exact duplicates (whitespace-normalised): 1 extra copy in 1 group (0 groups span"
            " splits)") in out
    assert "text from column 'review', label from column 'sentiment'" in out


def test_data_json_with_override(two_sources: list[Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder, extra = two_sources
    code = main(["data", str(folder), str(extra), "--json",
                 "--split-override", f"{extra}=valid"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == 11
    assert data["splits"] == {"train": {"neg": 3, "pos": 3}, "valid": {"neg": 1, "pos": 2},
                              "test": {"neg": 1, "pos": 1}}
    assert data["duplicates"] == 1 and data["empty"] == 0
    assert set(data["lengths"]) >= {"min", "median", "p95", "max"}
    assert data["sources"][1]["notes"][-1] == "all documents go to valid (split override)"


def test_data_columns_and_encoding_flags(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes("y;x\na;café\nb;thé\n".encode("cp1252"))
    assert main(["data", str(path), "--json", "--text-column", "x", "--label-column", "y",
                 "--encoding", "cp1252"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["splits"] == {"train": {"a": 1, "b": 1}}


def test_data_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", str(tmp_path / "missing")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"lstm-studio: error: {tmp_path / 'missing'} does not exist.\n"
    assert main(["data", str(tmp_path), "--split-override", "nonsense"]) == 2
    assert "must look like PATH=SPLIT" in capsys.readouterr().err


def test_data_random_split(two_sources: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["data", *map(str, two_sources), "--json", "--random-split", "0.6,0.2,0.2"]
    assert main([*args, "--seed", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    # pos 6 -> 3.6/1.2/1.2 -> 4/1/1; neg 5 -> 3/1/1
    assert first["splits"] == {"train": {"neg": 3, "pos": 4}, "valid": {"neg": 1, "pos": 1},
                               "test": {"neg": 1, "pos": 1}}
    assert main(["data", *map(str, two_sources), "--random-split", "0.5,0.5"]) == 2
    assert "must be three numbers" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_reading_data_never_loads_torch(tmp_path: Path) -> None:
    """`lstm-studio data` builds the whole parser (every command's help) and reads a file; it
    must not pay torch's import (about 0.8 s and 250 MB resident), which a bomb test and a
    user on a small machine both notice. Runs in a fresh interpreter: this one has torch."""
    source = tmp_path / "reviews.csv"
    source.write_text("text,label\ngood food,pos\nbad service,neg\n", encoding="utf-8")
    probe = ("import sys\nfrom lstm_studio.cli import main\n"
             f"code = main(['data', {str(source)!r}])\n"
             "print('torch-loaded', 'torch' in sys.modules)\nsys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "torch-loaded False" in result.stdout
