"""`lstm-studio train --store on`: the same model as in memory, a second start from the cache,
a saved model that predicts, and a resumed run that reads the store again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import sentiment_documents

from lstm_studio.cli import main

torch.set_num_threads(1)


@pytest.fixture
def reviews(tmp_path: Path) -> list[str]:
    paths = []
    for split, count, seed in (("train", 160, 1), ("test", 40, 3)):
        path = tmp_path / f"{split}.jsonl"
        rows = [json.dumps({"text": d.text, "label": d.label}, ensure_ascii=False)
                for d in sentiment_documents(count, seed, split)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


def train(capsys: pytest.CaptureFixture, argv: list[str]) -> tuple[dict, str]:
    assert main(["train", *argv, "--json", "--epochs", "2", "--threads", "1"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


@pytest.mark.timeout(180)
def test_training_from_the_store_matches_memory_and_starts_from_the_cache_the_second_time(
        reviews: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    common = [*reviews, "--lang", "any", "--seed", "2", "--no-record"]
    memory, _ = train(capsys, [*common, "--store", "off", "--out", str(tmp_path / "m.st")])
    first, _ = train(capsys, [*common, "--store", "on", "--out", str(tmp_path / "s.st")])
    second, _ = train(capsys, [*common, "--store", "on", "--out", str(tmp_path / "t.st")])
    assert "store" not in memory
    assert first["store"]["built"] is True and second["store"]["built"] is False
    assert first["store"]["key"] == second["store"]["key"]
    for result in (first, second):
        assert result["valid"] == memory["valid"] and result["test"] == memory["test"]
        assert [e["train_loss"] for e in result["history"]] == \
            [e["train_loss"] for e in memory["history"]]
    assert main(["predict", str(tmp_path / "s.st"), "món ăn ngon", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] in memory["valid"]["labels"]


@pytest.mark.timeout(180)
def test_a_run_trained_from_the_store_resumes_from_it(reviews: list[str], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    runs = tmp_path / "runs"
    first, _ = train(capsys, [*reviews, "--lang", "any", "--store", "on", "--runs-dir",
                              str(runs), "--out", str(tmp_path / "a.st")])
    assert main(["train", "--resume", first["run_id"], "--runs-dir", str(runs), "--epochs",
                 "3", "--json", "--out", str(tmp_path / "b.st")]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["status"] == "finished" and resumed["epochs"] == 3
