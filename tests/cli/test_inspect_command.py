"""`lstm-studio inspect`: the toy cell and a real model file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from lstm_studio.commands import inspect as inspect_command
from lstm_studio.core.errors import UserError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lstm-studio")
    inspect_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["inspect", *argv])
    return args.func(args)


def test_toy_lecture_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--toy", "lecture", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rounded = {key: round(data[key], 3) for key in ("f", "i", "g", "o", "c", "h")}
    assert rounded == {"f": 0.997, "i": 0.986, "g": 0.966, "o": 0.992, "c": 2.948, "h": 0.986}
    assert len(data["derivations"]) == 6
    assert "= 5.950" in data["derivations"][0]["text"]


def test_toy_through_the_real_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    from lstm_studio.cli import main

    assert main(["inspect", "--toy", "lecture", "--set", "c_prev=0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"]["c_prev"] == 0.0
    assert data["c"] == pytest.approx(data["i"] * data["g"])
    assert main(["inspect", "--toy", "lecture", "--set", "oops"]) == 2
    assert "NAME=NUMBER" in capsys.readouterr().err


def test_toy_text_shows_the_six_stages(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--toy", "lecture"]) == 0
    out = capsys.readouterr().out
    assert "σ(5.950) = 0.997" in out
    assert "0.997·2.000 + 0.986·0.966 = 1.995 + 0.953 = 2.948" in out
    assert "f = 0.997  i = 0.986  g = 0.966  o = 0.992  c = 2.948  h = 0.986" in out
    assert out.index("Forget gate") < out.index("Input gate") < out.index("Candidate memory") \
        < out.index("Output gate") < out.index("Current cell state") \
        < out.index("Current hidden state")


def test_missing_arguments_are_one_sentence() -> None:
    with pytest.raises(UserError, match="model file and a sentence"):
        _run([])
    with pytest.raises(UserError, match="not both"):
        _run(["model.safetensors", "text", "--toy", "lecture"])


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A tiny bidirectional LSTM classifier saved by core.checkpoint.save_checkpoint."""
    import torch

    from lstm_studio.core import checkpoint as checkpoint_mod
    from lstm_studio.core import vocab as vocab_mod
    from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
    from lstm_studio.core.models import build_model

    vocab_config = VocabConfig()
    vocab = vocab_mod.Vocabulary.build(["món ăn rất ngon", "phục_vụ chậm quá"], vocab_config)
    config = ModelConfig(cell="lstm", embedding_dim=6, hidden_size=5, bidirectional=True,
                         vocab_size=len(vocab), num_classes=2)
    torch.manual_seed(0)
    bundle = checkpoint_mod.ModelBundle(
        model=build_model(config), model_config=config, train_config=TrainConfig(),
        vocab_config=vocab_config, vocab=vocab, labels=["neg", "pos"])
    path = tmp_path / "tiny.safetensors"
    checkpoint_mod.save_checkpoint(bundle, path)
    return path


def test_table_on_a_real_checkpoint(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([str(checkpoint), "món ăn xyz ngon", "--direction", "backward", "--step", "0",
                 "--unit", "4"]) == 0
    derived = capsys.readouterr().out
    assert "layer 0 backward, step 0 'món', unit 4" in derived
    assert derived.count("largest terms of") == 8  # input and hidden, for each of 4 gates
    # --stage alone derives the last step the direction visited (position 0 for backward).
    assert _run([str(checkpoint), "món ăn xyz ngon", "--direction", "backward",
                 "--stage", "cell"]) == 0
    assert capsys.readouterr().out.startswith("Current cell state (layer 0 backward, step 0")
    # The table lists the backward direction in the order it reads: last token first.
    assert _run([str(checkpoint), "món ăn xyz ngon", "--direction", "backward",
                 "--unit", "4"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "layer 0 backward, unit 4" in table[0]
    assert table[2].split()[:2] == ["3", "ngon"] and table[5].split()[:2] == ["0", "món"]
    assert _run([str(checkpoint), "món ăn xyz ngon"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("LSTM: 1 layer(s), hidden 5, bidirectional")
    assert "xyz*" in out  # out-of-vocabulary marked
    assert sum(1 for line in lines if line.strip()[:1].isdigit()) == 4
    assert "neg" in out or "pos" in out  # prediction so far


def test_derivation_and_json_on_a_real_checkpoint(checkpoint: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.gates import prefix_predictions, trace

    assert _run([str(checkpoint), "món ăn ngon", "--step", "1", "--unit", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["stage"] for d in data["derivations"]] == [
        "forget", "input", "candidate", "output", "cell", "hidden"]
    bundle = load_checkpoint(checkpoint)
    tr = trace(bundle, "món ăn ngon")
    assert data["derivations"][5]["result"] == pytest.approx(tr.get().h[1, 2])
    assert tr.tokens == data["tokens"] == bundle.prepare("món ăn ngon").tokens
    last = prefix_predictions(bundle, "món ăn ngon")[-1].probabilities
    assert last == pytest.approx(bundle.predict("món ăn ngon"), abs=1e-6)
    assert _run([str(checkpoint), "món ăn ngon", "--json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert len(full["trace"]["layers"]) == 2 and len(full["prefix_predictions"]) == 3


def test_language_model_bundle_reads_bos_first(tmp_path: Path) -> None:
    import torch

    from lstm_studio.core import checkpoint as checkpoint_mod
    from lstm_studio.core import vocab as vocab_mod
    from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
    from lstm_studio.core.gates import gradient_flow, prefix_predictions, trace
    from lstm_studio.core.models import build_model

    vocab_config = VocabConfig(lm_specials=True)
    vocab = vocab_mod.Vocabulary.build(["the cat sat on the mat"], vocab_config)
    config = ModelConfig(task="lm", cell="gru", embedding_dim=4, hidden_size=3,
                         vocab_size=len(vocab), num_classes=0)
    torch.manual_seed(0)
    bundle = checkpoint_mod.ModelBundle(
        model=build_model(config).eval(), model_config=config, train_config=TrainConfig(),
        vocab_config=vocab_config, vocab=vocab, labels=[])
    tr = trace(bundle, "the cat sat")
    assert tr.tokens == ["<bos>", "the", "cat", "sat"]
    rows = prefix_predictions(bundle, "the cat sat", k=3)
    expected = bundle.next_word_distribution("the cat sat", k=3)
    assert list(rows[-1].probabilities.items()) == [
        (word, pytest.approx(p, abs=1e-6)) for word, p in expected]
    flow = gradient_flow(bundle, tr.ids)
    assert len(flow) == 4 and flow[0] > 0
