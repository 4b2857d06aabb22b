"""`lstm-studio data` on the real NTC-SCV zips (skipped when ../shared is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lstm_studio.cli import main


def test_cli_json_on_the_real_zips(ntc_scv_zips: list[Path],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", *map(str, ntc_scv_zips), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == 50_000
    assert data["splits"] == {"train": {"neg": 15_000, "pos": 15_000},
                              "valid": {"neg": 5_000, "pos": 5_000},
                              "test": {"neg": 5_000, "pos": 5_000}}
    # How fast: bench/bench_load.py. Here only that the figure is reported.
    assert isinstance(data["seconds"], float) and data["seconds"] >= 0


def test_override_sends_data_test_to_valid(ntc_scv_zips: list[Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    train, test = ntc_scv_zips
    assert main(["data", str(train), str(test), "--json",
                 "--split-override", f"{test.name}=valid"]) == 0
    data = json.loads(capsys.readouterr().out)
    # data_test.zip is forced to valid, so nothing clashes and data_train keeps its test.
    assert data["splits"]["valid"] == {"neg": 5_000, "pos": 5_000}
    assert data["splits"]["test"] == {"neg": 5_000, "pos": 5_000}
    assert data["sources"][1]["split_override"] == "valid"
