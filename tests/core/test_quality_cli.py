"""The command line's quality output: per-class F1 for a small class, tokens/s per epoch, the
selection sentence, the run history's kept epoch, and the word2vec command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import sentiment_documents

from lstm_studio.cli import main

torch.set_num_threads(1)


def write(path: Path, docs) -> str:
    path.write_text("\n".join(f"__label__{d.label} {d.text}" for d in docs) + "\n",
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def imbalanced(tmp_path: Path) -> list[str]:
    train = [d for i, d in enumerate(sentiment_documents(200, 1))
             if d.label == "pos" or i % 10 == 1]
    return [write(tmp_path / "train.txt", train),
            write(tmp_path / "valid.txt", sentiment_documents(40, 2, "valid")),
            write(tmp_path / "test.txt", sentiment_documents(40, 3, "test"))]


def test_train_text_output_reports_the_small_class_and_the_selection(
        imbalanced: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["train", *imbalanced, "--lang", "any", "--epochs", "2", "--embedding", "8",
                 "--hidden", "8", "--lr", "0.02", "--class-weight", "balanced",
                 "--name", "small", "--out", str(tmp_path / "m.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "per class (a class is under 20% of the training documents):" in out
    neg_line = next(line for line in out.splitlines() if line.strip().startswith("neg "))
    assert "F1" in neg_line and "<- small" in neg_line and "(16.7% of training)" in neg_line
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 2 and all("tokens/s" in line for line in epoch_lines)
    assert "by validation macro-F1: the training split is imbalanced (neg is 16.7% of it)" \
        in out
    assert "Class weights (balanced): neg 3.00, pos 0.60." in out
    assert "calibration: expected calibration error" in out

    assert main(["runs"]) == 0
    history = capsys.readouterr().out
    assert "kept" in history.splitlines()[0] and "macro_f1" in history
    assert main(["runs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["selected_by"] == "macro_f1" and rows[0]["kept_epoch"] in (1, 2)


def test_balanced_data_prints_no_per_class_block_and_selects_by_accuracy(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = write(tmp_path / "all.txt", sentiment_documents(60, 1))
    assert main(["train", data, "--lang", "any", "--epochs", "1", "--embedding", "8",
                 "--hidden", "8", "--no-record", "--out", str(tmp_path / "m.safetensors"),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["quality"]["selection"]["metric"] == "accuracy"
    assert main(["train", data, "--lang", "any", "--epochs", "1", "--embedding", "8",
                 "--hidden", "8", "--no-record", "--out", str(tmp_path / "m.safetensors")]) == 0
    assert "per class" not in capsys.readouterr().out


def test_word2vec_command_then_train_from_its_vectors(
        imbalanced: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("gensim")
    vectors = tmp_path / "own.vec"
    extra = tmp_path / "unlabelled.txt"
    extra.write_text("the food was tasty\nthe staff was slow\n", encoding="utf-8")
    assert main(["word2vec", imbalanced[0], "--lang", "any", "--out", str(vectors),
                 "--dim", "8", "--min-count", "1", "--epochs", "2", "--threads", "1",
                 "--extra", str(extra), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dim"] == 8 and vectors.is_file()
    header = vectors.read_text(encoding="utf-8").splitlines()[0].split()
    assert header == [str(summary["words"]), "8"]
    assert main(["train", *imbalanced, "--lang", "any", "--epochs", "1", "--hidden", "8",
                 "--embeddings", str(vectors), "--freeze-embeddings", "1", "--no-record",
                 "--out", str(tmp_path / "m.safetensors"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    embeddings = result["quality"]["embeddings"]
    assert embeddings["dim"] == 8 and embeddings["coverage"]["vocab_share"] == 1.0
    assert "Pretrained vectors cover" in result["message"]


def test_missing_extras_are_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    import builtins

    real_import = builtins.__import__

    def no_extras(name: str, *args, **kwargs):
        if name.split(".")[0] in ("gensim", "optuna"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_extras)
    data = write(tmp_path / "all.txt", sentiment_documents(20, 1))
    assert main(["train", data, "--lang", "any", "--word2vec", "--no-record",
                 "--out", str(tmp_path / "m.safetensors")]) == 2
    assert "needs the optional gensim package" in capsys.readouterr().err
    assert main(["search", data, "--lang", "any", "--trials", "1"]) == 2
    assert "needs the optional optuna package" in capsys.readouterr().err
