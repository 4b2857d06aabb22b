"""The command line end to end: train -> predict -> eval -> generate -> runs -> ngram."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import POEM, write_split_files

from lstm_studio.cli import main

torch.set_num_threads(1)


@pytest.fixture
def reviews(tmp_path: Path) -> list[str]:
    return write_split_files(tmp_path, (("train", 120, 1), ("valid", 30, 2), ("test", 30, 3)))


def run_json(capsys: pytest.CaptureFixture, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_classifier_commands_end_to_end(reviews: list[str], tmp_path: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    model = str(tmp_path / "model.safetensors")
    trained = run_json(capsys, ["train", *reviews, "--lang", "any", "--preset", "BiLSTM",
                                "--embedding", "12", "--hidden", "10", "--epochs", "5",
                                "--pooling", "max", "--lr", "0.02", "--batch-size", "16",
                                "--out", model, "--json"])
    assert trained["epochs"] == 5 and trained["seconds"] > 0
    assert trained["valid"]["accuracy"] >= 0.9 and "macro_f1" in trained["valid"]
    assert trained["test"]["accuracy"] >= 0.9 and Path(trained["model"]) == Path(model)

    predicted = run_json(capsys, ["predict", model, "The staff was GREAT!", "--json"])
    assert predicted["label"] == "pos"
    assert set(predicted["probabilities"]) == {"neg", "pos"}
    assert sum(predicted["probabilities"].values()) == pytest.approx(1.0)
    assert predicted["tokens"] == ["the", "staff", "was", "great"]  # stored cleaning applied

    evaluated = run_json(capsys, ["eval", model, reviews[2], "--json"])
    assert evaluated["split"] == "test" and evaluated["documents"] == 30
    assert evaluated["accuracy"] == pytest.approx(trained["test"]["accuracy"])

    assert main(["eval", model, reviews[2]]) == 0
    out = capsys.readouterr().out
    assert "confusion (rows = true" in out and "precision" in out

    assert main(["predict", model, "awful and slow"]) == 0
    assert capsys.readouterr().out.startswith("neg (")

    runs = run_json(capsys, ["runs", "--json"])
    assert runs[0]["run_id"] == trained["run_id"] and runs[0]["status"] == "finished"
    assert main(["runs"]) == 0
    assert trained["run_id"] in capsys.readouterr().out


def test_language_model_commands(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    corpus = tmp_path / "poem.txt"
    corpus.write_text("\n".join([POEM] * 12) + "\n", encoding="utf-8")
    model = str(tmp_path / "lm.safetensors")
    trained = run_json(capsys, ["train", str(corpus), "--task", "lm", "--lang", "any",
                                "--segment", "off", "--cell", "gru", "--embedding", "16",
                                "--hidden", "16",
                                "--tie-weights", "--epochs", "15", "--lr", "0.03",
                                "--out", model, "--json"])
    assert trained["perplexity"] == trained["valid"]["perplexity"] < 3
    generated = run_json(capsys, ["generate", model, "--prompt", "trăm năm", "--max-tokens",
                                  "4", "--temperature", "0", "--json"])
    assert generated["generated"] == ["trong", "cõi", "người", "ta"]
    assert main(["generate", model, "--prompt", "trăm", "--seed", "1", "--top-k", "3"]) == 0
    assert capsys.readouterr().out.startswith("trăm")
    words = run_json(capsys, ["predict", model, "chữ tài chữ", "--json", "--top", "2"])
    assert words["next_words"][0]["word"] == "mệnh"


def test_ngram_command_prints_the_lecture_example(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    corpus = tmp_path / "sentences.txt"
    corpus.write_text("i go to school\ni go to work\nyou go to school\n", encoding="utf-8")
    assert main(["ngram", str(corpus), "--n", "4", "--k", "0", "--context", "i go to",
                 "--word", "school", "--sentence", "i go to school"]) == 0
    out = capsys.readouterr().out
    assert "P(school | i go to) = count(i go to school) / count(i go to) = 1 / 2 = 0.5" in out
    assert "P(i go to school) = P(i | <s> <s> <s>)" in out
    data = run_json(capsys, ["ngram", str(corpus), "--n", "2", "--smoothing", "interpolation",
                             "--temperature", "0", "--context", "you", "--generate", "3",
                             "--seed", "0", "--json"])
    assert data["generated"][0] == "go" and data["n"] == 2
    held_out = tmp_path / "sentences.valid.txt"
    held_out.write_text("you go to work\n", encoding="utf-8")
    data = run_json(capsys, ["ngram", str(corpus), str(held_out), "--n", "2", "--json"])
    assert data["train_sentences"] == 3
    # add-1 bigrams, V = 8: P(you|<s>) = 2/11, P(go|you) = 2/9, P(to|go) = 4/11,
    # P(work|to) = 2/11, P(</s>|work) = 2/9
    expected = (2 / 11 * 2 / 9 * 4 / 11 * 2 / 11 * 2 / 9) ** (-1 / 5)
    assert data["valid_perplexity"] == pytest.approx(expected)


def test_errors_are_one_line_without_traceback(tmp_path: Path, reviews: list[str],
                                               capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_text("nope", encoding="utf-8")
    assert main(["predict", str(bad), "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an LSTM Studio model" in err
    assert main(["train", *reviews, "--lang", "any", "--task", "lm", "--bidirectional",
                 "--epochs", "1"]) == 2
    assert "bidirectional" in capsys.readouterr().err
