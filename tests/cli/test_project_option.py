"""`--project FILE`: commands start from a project written by core.project.save_project, and
options given on the command line override what the project says.

Each check compares the command run with --project against the same command spelled out with
explicit PATHs and flags: the two must give the same result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import sentiment_documents

from lstm_studio.cli import main
from lstm_studio.core.checkpoint import load_checkpoint
from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)
from lstm_studio.core.project import Project, save_project

torch.set_num_threads(1)


def write_csv(path: Path) -> Path:
    """Synthetic reviews in one CSV with a split column, some in capitals and with digits."""
    rows = ["text,label,split"]
    for split, count, seed in (("train", 80, 1), ("valid", 24, 2), ("test", 24, 3)):
        for i, doc in enumerate(sentiment_documents(count, seed, split)):
            text = doc.text.upper() if i % 3 == 0 else doc.text
            rows.append(f"{text} {i},{doc.label},{split}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return write_csv(folder / "reviews.csv")


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def without_timing(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "seconds"}


def saved(tmp_path: Path, project: Project) -> str:
    path = tmp_path / "work.lstmproj"
    save_project(path, project)
    return str(path)


def test_data_reads_the_projects_sources_splits_and_random_split(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project(data=DataConfig(sources=[str(reviews)], random_split=(0.5, 0.25, 0.25),
                                      random_split_seed=7))
    from_project = run_json(capsys, ["data", "--project", saved(tmp_path, project), "--json"])
    spelled_out = run_json(capsys, ["data", str(reviews), "--random-split", "0.5,0.25,0.25",
                                    "--seed", "7", "--json"])
    assert without_timing(from_project) == without_timing(spelled_out)
    assert sum(from_project["splits"]["train"].values()) == 64  # half of 128, re-split


def test_data_options_override_the_project(reviews: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    project = Project(data=DataConfig(sources=[str(reviews)],
                                      split_overrides={str(reviews): "test"}))
    path = saved(tmp_path, project)
    everything_test = run_json(capsys, ["data", "--project", path, "--json"])
    assert set(everything_test["splits"]) == {"test"}
    overridden = run_json(capsys, ["data", "--project", path, "--json",
                                   "--split-override", f"{reviews}=train"])
    assert set(overridden["splits"]) == {"train"}
    other = write_csv(tmp_path / "other.csv")
    elsewhere = run_json(capsys, ["data", str(other), "--project", path, "--json"])
    assert [source["path"] for source in elsewhere["sources"]] == [str(other)]


def test_clean_uses_the_projects_cleaning_settings(reviews: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cleaning = CleaningConfig(detect_language=False)
    cleaning.steps["lowercase"] = False
    project = saved(tmp_path, Project(data=DataConfig(sources=[str(reviews)]),
                                      cleaning=cleaning))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    from_project = run_json(capsys, ["clean", "--project", project, "--out", str(a),
                                     "--workers", "1", "--json"])
    spelled_out = run_json(capsys, ["clean", str(reviews), "--no-lowercase", "--no-language",
                                    "--out", str(b), "--workers", "1", "--json"])
    assert a.read_bytes() == b.read_bytes()
    assert "GOOD" in a.read_text(encoding="utf-8") or "GREAT" in a.read_text(encoding="utf-8")
    assert from_project["languages"] == spelled_out["languages"] == {}
    assert from_project["steps"] == spelled_out["steps"]
    assert "lowercase" not in from_project["steps"]

    lowered = tmp_path / "lowered.csv"
    run_json(capsys, ["clean", "--project", project, "--steps", ",".join(cleaning.steps),
                      "--out", str(lowered), "--workers", "1", "--json"])
    assert lowered.read_text(encoding="utf-8") == lowered.read_text(encoding="utf-8").lower()


def test_train_takes_the_projects_settings_and_flags_win(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project(
        data=DataConfig(sources=[str(reviews)]),
        cleaning=CleaningConfig(detect_language=False), cleaning_ran=False,
        vocabulary=VocabConfig(min_freq=2, max_size=50),
        model=ModelConfig(cell="gru", embedding_dim=6, hidden_size=6, pooling="mean"),
        training=TrainConfig(epochs=2, batch_size=8, lr=0.03, seed=3, threads=1, grad_clip=None))
    path = saved(tmp_path, project)
    model = tmp_path / "model.safetensors"
    trained = run_json(capsys, ["train", "--project", path, "--hidden", "5", "--out", str(model),
                                "--no-record", "--json"])
    assert trained["epochs"] == 2 and trained["status"] == "finished"
    bundle = load_checkpoint(model)
    assert (bundle.model_config.cell, bundle.model_config.embedding_dim,
            bundle.model_config.hidden_size, bundle.model_config.pooling) == ("gru", 6, 5, "mean")
    assert (bundle.train_config.batch_size, bundle.train_config.lr, bundle.train_config.seed,
            bundle.train_config.grad_clip) == (8, 0.03, 3, None)
    assert bundle.vocab_config.min_freq == 2 and len(bundle.vocab) <= 50
    assert bundle.cleaning_config is None  # the project had not run cleaning

    spelled_out = tmp_path / "spelled.safetensors"
    explicit = run_json(capsys, [
        "train", str(reviews), "--no-clean", "--cell", "gru", "--embedding", "6",
        "--hidden", "5", "--pooling", "mean", "--min-freq", "2", "--vocab-size", "50",
        "--epochs", "2", "--batch-size", "8", "--lr", "0.03", "--seed", "3", "--threads", "1",
        "--clip", "0", "--out", str(spelled_out), "--no-record", "--json"])
    losses = [[epoch["train_loss"] for epoch in run["history"]] for run in (explicit, trained)]
    assert losses[0] == pytest.approx(losses[1])  # same data, settings and seed
    assert explicit["test"] == trained["test"]


def test_train_cleans_when_the_project_had_cleaned(reviews: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    project = saved(tmp_path, Project(
        data=DataConfig(sources=[str(reviews)]), cleaning=CleaningConfig(detect_language=False),
        cleaning_ran=True, model=ModelConfig(embedding_dim=4, hidden_size=4),
        training=TrainConfig(epochs=1, batch_size=16, threads=1)))
    model = tmp_path / "model.safetensors"
    run_json(capsys, ["train", "--project", project, "--out", str(model), "--no-record",
                      "--json"])
    bundle = load_checkpoint(model)
    assert bundle.cleaning_config is not None
    assert bundle.cleaning_config.steps["lowercase"] is True
    assert bundle.prepare("GOOD food").tokens == ["good", "food"]


def test_eval_and_predict_use_the_projects_model(reviews: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.safetensors"
    run_json(capsys, ["train", str(reviews), "--lang", "any", "--embedding", "6", "--hidden",
                      "6", "--epochs", "1", "--threads", "1", "--out", str(model),
                      "--no-record", "--json"])
    project = saved(tmp_path, Project(data=DataConfig(sources=[str(reviews)]),
                                      model_path=str(model)))
    assert run_json(capsys, ["eval", "--project", project, "--json"]) == \
        run_json(capsys, ["eval", str(model), str(reviews), "--json"])
    assert run_json(capsys, ["predict", "--project", project, "great food", "--json"]) == \
        run_json(capsys, ["predict", str(model), "great food", "--json"])


@pytest.mark.parametrize("argv, message", [
    (["data"], "Give at least one dataset PATH, or a project with --project FILE."),
    (["predict", "some text"], "Give the MODEL file, or a project with --project FILE."),
])
def test_nothing_to_work_on_is_one_sentence(argv: list[str], message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"lstm-studio: error: {message}"


def test_unusable_project_files_are_one_sentence(reviews: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.lstmproj"
    assert main(["data", "--project", str(missing)]) == 2
    assert capsys.readouterr().err.strip().endswith(f"The project file {missing} does not exist.")
    untrained = saved(tmp_path, Project(data=DataConfig(sources=[str(reviews)])))
    assert main(["predict", "--project", untrained, "text"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["lstm-studio: error: The project has no trained model; train one or give "
                   "the MODEL file."]
